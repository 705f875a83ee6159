"""ConnectPanel against real simulators on 127.0.0.1: errors in the Output, passwords never in any widget."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from widget_helpers import (  # noqa: F401  (autouse fixture)
    assert_no_errors,
    fail_on_handler_errors,
    widget_strings,
)

from vsphere_nb.widgets import ConnectPanel, RunbookPanel
from vsphere_nb.widgets.connect import SIMULATOR, VCENTER


def _no_secret_anywhere(panel: ConnectPanel, *secrets: str) -> None:
    strings = widget_strings(panel.widget)
    for secret in secrets:
        assert secret and not any(secret in s for s in strings), "a secret is in the widget state"


def test_wrong_password_is_one_line_in_the_output_and_never_shown(make_sim) -> None:
    sim = make_sim()
    panel = ConnectPanel(server=sim.url, user=sim.user)
    wrong = "Wr0ng-Pa55word-xyz"
    panel.password.value = wrong
    panel.connect_button.click()
    lines = panel.error_lines()
    assert len(lines) == 1 and lines[0].count("\n") == 1, lines
    assert "InvalidLogin" in lines[0] and "Traceback" not in lines[0]
    assert panel.password.value == ""
    assert panel.state.client is None
    assert "failed" in panel.status.value
    _no_secret_anywhere(panel, wrong)


def test_connect_to_a_vcenter_shows_version_and_release(make_sim) -> None:
    sim = make_sim()
    panel = ConnectPanel(server=sim.url, user=sim.user)
    panel.password.value = sim.password
    panel.connect_button.click()
    assert_no_errors(panel)
    client = panel.state.client
    try:
        assert client is not None
        info = panel.info.value
        assert client.about.fullName in info and client.about.build in info and client.about.version in info
        assert client.release in info and "negotiated with the server" in info
        assert panel.password.value == ""
        _no_secret_anywhere(panel, sim.password)
        assert not panel.disconnect_button.disabled
    finally:
        panel.disconnect_button.click()
    assert panel.state.client is None and client.is_closed
    assert_no_errors(panel)


def test_a_password_given_to_the_constructor_never_enters_a_widget(make_sim) -> None:
    sim = make_sim()
    panel = RunbookPanel(sim.url, sim.user, sim.password)
    try:
        _no_secret_anywhere(panel.connect, sim.password)
        assert panel.connect.password.value == ""
        assert panel.state.client is None  # no autoconnect
        panel.connect.connect_button.click()
        assert panel.state.client is not None
        assert_no_errors(*panel.panels)
        assert len(panel.state.hosts) == 9  # the Hosts panel loaded them
        # used once: a reconnect without typing it again explains what is missing
        panel.connect.connect_button.click()
        assert "enter the password" in panel.connect.error_lines()[0]
        panel.connect.clear_errors()
    finally:
        panel.close()


def test_the_built_in_simulator_is_started_used_and_stopped() -> None:
    panel = RunbookPanel(
        simulator=dict(scenario="healthy", clusters=2, hosts_per_cluster=3, task_seconds=0.2, time_scale=20),
        autoconnect=True,
    )
    sim = panel.state.simulator
    try:
        assert_no_errors(*panel.panels)
        assert sim is not None and panel.connect.mode.value == SIMULATOR
        assert len(panel.state.hosts) == 2 * 3 + 2
        assert "scenario healthy, 2 clusters × 3 hosts" in panel.connect.info.value
        for p in panel.panels:
            _no_secret_anywhere(p, sim.password)
        port = urlsplit(sim.url).port
    finally:
        panel.close()
    assert panel.state.simulator is None and panel.state.client is None
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        refused = False
    except OSError:
        refused = True
    assert refused, "the simulator still listens after close()"


def test_an_external_simulator_is_used_but_not_stopped(make_sim) -> None:
    sim = make_sim()
    panel = ConnectPanel(simulator=sim)
    panel.connect_button.click()
    assert_no_errors(panel)
    assert panel.state.client is not None
    panel.disconnect_button.click()
    socket.create_connection(("127.0.0.1", urlsplit(sim.url).port), timeout=1).close()  # still serving


def test_autoconnect_errors_stay_in_the_panel(make_sim) -> None:
    sim = make_sim()
    panel = RunbookPanel(sim.url, sim.user, "not-the-password", autoconnect=True)
    try:
        assert panel.state.client is None
        assert "InvalidLogin" in panel.connect.error_lines()[0]
        _no_secret_anywhere(panel.connect, "not-the-password")
    finally:
        panel.close()


def test_missing_fields_are_explained() -> None:
    panel = ConnectPanel()
    assert panel.mode.value == VCENTER
    panel.connect_button.click()
    assert panel.error_lines() == ["connect: ConfigError: enter the vCenter server name\n"]
    panel.server.value = "vc.example.test"
    panel.connect_button.click()
    assert "enter the user name" in panel.error_lines()[0]


def test_tls_choices(make_sim) -> None:
    sim = make_sim(tls=True)
    panel = ConnectPanel(server=sim.url, user=sim.user)
    assert panel.tls_warning.layout.display == "none"

    # verification on, the simulator's own CA unknown: a TLS error, one line
    panel.password.value = sim.password
    panel.connect_button.click()
    assert len(panel.error_lines()) == 1 and "TLSError" in panel.error_lines()[0]

    # the CA bundle
    panel.ca_file.value = sim.ca_file
    panel.password.value = sim.password
    panel.connect_button.click()
    assert_no_errors(panel)
    assert panel.state.client is not None
    panel.disconnect_button.click()

    # skipping verification: a visible warning, and it connects
    panel.skip_verify.value = True
    assert panel.tls_warning.layout.display is None and "verification is OFF" in panel.tls_warning.value
    assert panel.ca_file.disabled
    panel.password.value = sim.password
    panel.connect_button.click()
    assert_no_errors(panel)
    assert panel.state.client is not None
    panel.close()
    assert panel.state.client is None


def test_a_preset_password_follows_its_server_and_is_never_sent_to_another(make_sim) -> None:
    """The parameters cell's password is for its server: change the Server field and it is gone (the box
    empties too), so Connect asks for a password instead of sending A's to B; changing back does not revive it."""
    a, b = make_sim(), make_sim()
    panel = ConnectPanel(server=a.url, user=a.user, password=a.password)
    assert panel.password.placeholder == "(already given, not shown)"
    panel.password.value = "typed-for-a"  # typed, not submitted
    panel.server.value = b.url
    assert panel.password.value == "" and panel.password.placeholder == ""
    panel.connect_button.click()
    assert "enter the password" in panel.error_lines()[0]
    assert panel.state.client is None and not b.issued_tokens()  # nothing reached B
    panel.clear_errors()
    panel.server.value = a.url
    panel.connect_button.click()
    assert "enter the password" in panel.error_lines()[0] and not a.issued_tokens()


def test_a_preset_password_belongs_to_its_user(make_sim) -> None:
    sim = make_sim()
    panel = ConnectPanel(server=sim.url, user=sim.user, password=sim.password)
    panel.user.value = "someone-else@vsphere.local"
    panel.connect_button.click()
    assert "enter the password" in panel.error_lines()[0]
    assert not sim.issued_tokens()


def test_a_preset_password_still_connects_when_server_and_user_are_unchanged(make_sim) -> None:
    sim = make_sim()
    panel = ConnectPanel(server=sim.url, user=sim.user, password=sim.password)
    panel.server.value = f" {sim.url} "  # only blanks added: the same server
    panel.connect_button.click()
    assert_no_errors(panel)
    assert panel.state.client is not None
    assert sim.issued_tokens()  # a login shows here (what the tests above rely on)
    panel.disconnect_button.click()


def test_typed_password_is_never_widget_state() -> None:
    """What the browser sends as the user types is a message, not state: the saved widget state (what Jupyter
    writes into the notebook) never holds it, typed-but-never-submitted included; clearing empties the box."""
    from vsphere_nb.widgets.password import PasswordField

    panel = ConnectPanel(server="vc.example.test", user="administrator@vsphere.local")
    field = panel.password
    assert isinstance(field, PasswordField)
    typed = "Typed-N0t-Submitted-9431"
    field._handle_custom_msg({"typed": typed[:5]}, [])
    field._handle_custom_msg({"typed": typed}, [])  # the browser sends the whole text on each edit
    assert field.value == typed
    _no_secret_anywhere(panel, typed)
    assert typed not in repr(field) and typed not in str(field.get_state())
    sent: list[dict] = []
    field.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    panel.server.value = "vc2.example.test"  # another server: the box empties in the browser too
    assert field.value == "" and sent == [{"clear": True}]


def test_the_scenario_picker_lists_story_once_and_the_password_hint_names_no_cell() -> None:
    from importlib.resources import files

    from vsphere_nb.simulator.scenarios import BUILTIN_SCENARIOS
    from vsphere_nb.widgets.connect import STORY_SCENARIO, ConnectPanel

    story_path = str(files("vsphere_nb.simulator").joinpath("scenarios", "story.yaml"))
    for given in (None, "story", STORY_SCENARIO, story_path):
        options = {} if given is None else {"scenario": given}
        panel = ConnectPanel(simulator=options)
        labels = [label for label, _value in panel.scenario.options]
        assert sum("story" in label for label in labels) == 1, labels
        assert panel.scenario.value == "story"
        assert len(labels) == len(BUILTIN_SCENARIOS)
    # a password given to the panel (by a notebook or the app's environment): the hint says so, nothing more
    panel = ConnectPanel(server="vc.example.test", user="u", password="s3cret")
    assert panel.password.placeholder == "(already given, not shown)"
    assert "cell" not in panel.password.placeholder and panel.password.value == ""
