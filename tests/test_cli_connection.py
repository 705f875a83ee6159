"""The connection options every vCenter subcommand shares (``vsphere-nb hosts`` here): where the password and a
session token may come from — never a flag's value —, empty variables refused rather than tried, and the
``--insecure`` warning said exactly once."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vsphere_nb.cli import main
from vsphere_nb.sync import connect

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    monkeypatch.delenv("VSPHERE_PASSWORD", raising=False)
    monkeypatch.delenv("VSPHERE_SESSION_TOKEN", raising=False)


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, out: str, err: str, contains: str, secrets: tuple[str, ...] = ()) -> None:
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vsphere-nb: error: "), err
    assert contains in lines[0], lines[0]
    assert "Traceback" not in out + err
    for secret in secrets:
        assert secret not in out + err


def logins(sim) -> int:
    return sim.stats()["requests"].get("SessionManager.Login", 0)


def hosts_argv(sim, *extra: str) -> list[str]:
    return ["hosts", "--server", sim.url, *extra]


@pytest.fixture
def live_token(sim):
    """A session token of a session kept open for the test (closing its client would log it out)."""
    vc = connect(sim.url, sim.user, sim.password)
    try:
        yield vc.session_token.reveal()
    finally:
        vc.close()


def as_terminal(monkeypatch, answer: str) -> list[str]:
    prompts: list[str] = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": prompts.append(prompt) or answer)
    return prompts


# ---------------------------------------------------------------------------------------------
# session tokens
# ---------------------------------------------------------------------------------------------
def test_a_session_token_as_a_flag_value_is_refused(sim, capsys, live_token):
    before = sim.stats()["requests"]
    code, out, err = run(hosts_argv(sim, "--session-token", live_token), capsys)
    assert_one_line_error(code, out, err, "--session-token takes no value", secrets=(live_token,))
    assert "VSPHERE_SESSION_TOKEN" in err and "--session-token-file" in err
    assert sim.stats()["requests"] == before  # refused before any request

    code, out, err = run(hosts_argv(sim, f"--session-token={live_token}"), capsys)
    assert_one_line_error(code, out, err, "--session-token takes no value", secrets=(live_token,))


def test_session_token_from_a_file(sim, capsys, tmp_path, live_token):
    path = tmp_path / "token"
    path.write_text(live_token + "\n")
    before = logins(sim)
    code, out, err = run(hosts_argv(sim, "--session-token-file", str(path)), capsys)
    assert code == 0, err
    assert "DC0_C0_H00" in out and live_token not in out + err
    assert logins(sim) == before  # the session was reused, not a new login


def test_session_token_from_standard_input(sim, capsys, monkeypatch, live_token):
    monkeypatch.setattr(sys, "stdin", io.StringIO(live_token + "\n"))
    code, out, err = run(hosts_argv(sim, "--session-token-file", "-"), capsys)
    assert code == 0, err
    assert "DC0_C0_H00" in out and live_token not in out + err


@pytest.mark.parametrize(
    ("content", "contains"), [(None, "not found"), ("", "does not hold"), ("a b", "does not hold")]
)
def test_bad_session_token_file(sim, capsys, tmp_path, content, contains):
    path = tmp_path / "token"
    if content is not None:
        path.write_text(content)
    code, out, err = run(hosts_argv(sim, "--session-token-file", str(path)), capsys)
    assert_one_line_error(code, out, err, contains)


def test_session_token_from_the_environment(sim, capsys, monkeypatch, live_token):
    monkeypatch.setenv("VSPHERE_SESSION_TOKEN", live_token)
    before = logins(sim)
    code, out, err = run(
        hosts_argv(sim),
        capsys,
    )
    assert code == 0, err
    assert logins(sim) == before and live_token not in out + err
    # --session-token alone takes the environment's token too, without asking
    code, out, err = run(hosts_argv(sim, "--session-token"), capsys)
    assert code == 0, err


def test_session_token_prompt(sim, capsys, monkeypatch, live_token):
    prompts = as_terminal(monkeypatch, live_token)
    code, out, err = run(hosts_argv(sim, "--session-token"), capsys)
    assert code == 0, err
    assert prompts == [f"session token for {sim.url}: "] and live_token not in out + err


def test_session_token_prompt_without_a_terminal(sim, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, out, err = run(hosts_argv(sim, "--session-token"), capsys)
    assert_one_line_error(code, out, err, "VSPHERE_SESSION_TOKEN")


@pytest.mark.parametrize("value", ["", "  \n"])
def test_empty_session_token_variable_without_user(sim, capsys, monkeypatch, value):
    monkeypatch.setenv("VSPHERE_SESSION_TOKEN", value)
    code, out, err = run(hosts_argv(sim), capsys)
    assert_one_line_error(code, out, err, "VSPHERE_SESSION_TOKEN is set but empty")


# ---------------------------------------------------------------------------------------------
# passwords
# ---------------------------------------------------------------------------------------------
def test_empty_password_variable_is_refused_without_a_terminal_and_no_login_is_tried(sim, capsys, monkeypatch):
    monkeypatch.setenv("VSPHERE_PASSWORD", "")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    before = sim.stats()["requests"]
    code, out, err = run(hosts_argv(sim, "--user", sim.user), capsys)
    assert_one_line_error(code, out, err, "VSPHERE_PASSWORD is set but empty")
    assert sim.stats()["requests"] == before


def test_empty_password_variable_asks_on_a_terminal(sim, capsys, monkeypatch):
    monkeypatch.setenv("VSPHERE_PASSWORD", "")
    prompts = as_terminal(monkeypatch, sim.password)
    code, out, err = run(hosts_argv(sim, "--user", sim.user), capsys)
    assert code == 0, err
    assert prompts == [f"password for {sim.user}: "] and "set but empty" in err and sim.password not in out + err


def test_an_empty_prompt_answer_is_refused(sim, capsys, monkeypatch):
    as_terminal(monkeypatch, "")
    before = logins(sim)
    code, out, err = run(hosts_argv(sim, "--user", sim.user), capsys)
    assert_one_line_error(code, out, err, "no password given")
    assert logins(sim) == before


@pytest.mark.parametrize(
    "flag", [["--password", "pw-on-the-command-line"], ["--password=pw-on-the-command-line"], ["--password"]]
)
def test_a_password_flag_is_refused_without_echoing_it(sim, capsys, flag):
    before = sim.stats()["requests"]
    code, out, err = run(hosts_argv(sim, "--user", sim.user, *flag), capsys)
    assert_one_line_error(code, out, err, "--password is not accepted", secrets=("pw-on-the-command-line",))
    assert "VSPHERE_PASSWORD" in err and sim.stats()["requests"] == before


# ---------------------------------------------------------------------------------------------
# --insecure: one warning
# ---------------------------------------------------------------------------------------------
def test_insecure_warning_is_printed_exactly_once(sim):
    """In a real process, with the CLI's own logging set up (``-v`` too): one line, not the CLI's line plus the
    library's warning plus its log record."""
    env = {**os.environ, "VSPHERE_PASSWORD": sim.password, "PYTHONPATH": str(ROOT)}
    for verbose in ([], ["-v"]):
        done = subprocess.run(
            [sys.executable, "-m", "vsphere_nb", *verbose, *hosts_argv(sim, "--user", sim.user, "--insecure")],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, done.stderr
        mentions = [line for line in done.stderr.splitlines() if "verification" in line.lower()]
        if verbose:  # the INFO "connected to …" line notes it as a fact, the warning is still said once
            mentions = [line for line in mentions if not line.startswith("INFO ")]
        assert mentions == ["vsphere-nb: warning: TLS certificate verification is OFF (--insecure)"], done.stderr


# ---------------------------------------------------------------------------------------------
# session tokens that cannot be a session id
# ---------------------------------------------------------------------------------------------
_ODD_TOKENS = [
    ("tök3n-5ecret", "a non-ASCII character"),
    ("tok\x00en-5ecret", "a control character"),
    ("tok\x1b[31men-5ecret", "a control character"),
    ("tok\u202een-5ecret", "a non-ASCII character"),
]


@pytest.mark.parametrize(("token", "what"), _ODD_TOKENS)
def test_an_odd_token_in_a_file_is_one_line_naming_the_file(sim, capsys, tmp_path, token, what):
    path = tmp_path / "token"
    path.write_text(token + "\n", encoding="utf-8")
    before = sim.stats()["requests"]
    code, out, err = run(hosts_argv(sim, "--session-token-file", str(path)), capsys)
    assert_one_line_error(code, out, err, f"session token file {path}", secrets=(token, "5ecret"))
    assert what in err
    assert sim.stats()["requests"] == before  # refused before anything was sent


@pytest.mark.parametrize(("token", "what"), _ODD_TOKENS[:2] + _ODD_TOKENS[3:])
def test_an_odd_token_in_the_environment_is_one_line_naming_the_variable(sim, capsys, monkeypatch, token, what):
    monkeypatch.setenv("VSPHERE_SESSION_TOKEN", token.replace("\x00", "\x07"))  # the environment holds no NUL
    code, out, err = run(hosts_argv(sim), capsys)
    assert_one_line_error(code, out, err, "VSPHERE_SESSION_TOKEN", secrets=(token, "5ecret"))


def test_a_token_file_that_is_not_utf8_is_one_line(sim, capsys, tmp_path):
    path = tmp_path / "token"
    path.write_bytes(b"tok\xe9n-5ecret\n")
    code, out, err = run(hosts_argv(sim, "--session-token-file", str(path)), capsys)
    assert_one_line_error(code, out, err, str(path), secrets=("5ecret",))


def test_connect_refuses_an_odd_token_without_showing_it():
    from vsphere_nb.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        connect("https://vc.invalid", session_token="abc\x00def-5ecret")
    assert "session_token" in str(info.value) and "5ecret" not in str(info.value)
