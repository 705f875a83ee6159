"""Hypothesis on what users hand vsphere-nb: scenario files, run directories, host and cluster lists, and
whatever a server or a proxy answers. Only documented errors may come out — the ``VsphereError`` tree, which the
CLI prints as one ``vsphere-nb: error: …`` line with exit code 2 — never a traceback.

(The wire decoder itself is fuzzed in ``test_codec_fuzz.py``; here it is reached through the client, with the
HTTP status, headers and body all arbitrary.)
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fake_vcenter import FakeVCenter, aconnect
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vsphere_nb import errors, wire
from vsphere_nb.cli import main as cli_main
from vsphere_nb.simulator import Simulator

FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
FEW = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def assert_documented_failure(code: int, err: str) -> None:
    """Exit 2 and exactly one error line; or success. Never a traceback."""
    assert "Traceback" not in err, err
    if code == 2:
        lines = [line for line in err.splitlines() if line.strip()]
        errs = [line for line in lines if line.startswith("vsphere-nb: error: ")]
        assert len(errs) == 1, err
        assert errs[0] == lines[-1], err


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
names = st.one_of(
    texts,
    st.sampled_from(
        ["", " ", "DC0_C0", "DC0_C0_H00", "host-1009", "*", "../..", "a\nb", "ü-ß-é", "x" * 300, "%s", "{}", "--help"]
    ),
)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.floats(allow_nan=False), texts)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=12,
)


# ---------------------------------------------------------------------------------------------
# scenario files (vsphere-nb simulate --scenario FILE)
# ---------------------------------------------------------------------------------------------
SCENARIO_KEYS = ["name", "description", "mode", "task_seconds", "fleet", "rules", "bogus"]
FLEET_KEYS = [
    "ha_disabled_every",
    "ha_disabled_offset",
    "maintenance",
    "disconnected",
    "not_responding",
    "reconfigure_disabled",
    "no_datastores",
    "initial_das_state",
    "product_versions",
    "ha_disabled_clusters",
]
RULE_KEYS = [
    "name",
    "match",
    "outcome",
    "reason",
    "host_error",
    "output",
    "fault_message",
    "events",
    "duration",
    "times",
    "das_state",
    "agent_unhealthy_seconds",
    "unhealthy_state",
]
plausible = st.one_of(
    json_values,
    st.sampled_from(
        [
            "success",
            "error",
            "fault",
            "vcenter",
            "esx",
            "master",
            "initializationError",
            "communicationInitFailed",
            "HostNetworkMisconfiguration",
            "8.0.3",
            "7.0.3",
            "HostDasErrorEvent",
            "EventEx",
            "TaskEvent",
            "NotAnEvent",
            0.5,
            1.5,
            -1,
            0,
            3,
        ]
    ),
    st.dictionaries(
        st.sampled_from(["fraction", "cluster", "host", "moid"]),
        st.one_of(st.floats(-1, 2), st.sampled_from(["*", "DC0_C*", "host-10*", ["host-1*"]])),
        max_size=3,
    ),
    st.dictionaries(
        st.sampled_from(["connectedToMaster", "initializationError", "bogus"]), st.floats(-1, 2), max_size=3
    ),
    st.lists(
        st.dictionaries(
            st.sampled_from(["type", "message", "isolationIp", "ips"]),
            st.sampled_from(["HostIsolationIpPingFailedEvent", "HostMissingNetworksEvent", "x", 1]),
            max_size=3,
        ),
        max_size=2,
    ),
)
scenarios = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(texts, json_values),
        "description": plausible,
        "mode": plausible,
        "task_seconds": plausible,
        "fleet": st.one_of(plausible, st.dictionaries(st.sampled_from(FLEET_KEYS), plausible, max_size=5)),
        "rules": st.one_of(
            plausible, st.lists(st.dictionaries(st.sampled_from(RULE_KEYS), plausible, max_size=6), max_size=4)
        ),
        "bogus": plausible,
    },
)


class _Served(Exception):
    """Raised instead of serving: the scenario was accepted and the simulator built."""


@pytest.fixture
def no_serving(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    built: list[Any] = []

    def start(self: Simulator) -> Simulator:
        built.append(self)
        raise _Served()

    monkeypatch.setattr(Simulator, "start", start)
    return built


def _simulate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int | None, str]:
    try:
        code = cli_main(
            [
                "simulate",
                "--scenario",
                str(path),
                "--clusters",
                "2",
                "--hosts-per-cluster",
                "3",
                "--standalone-hosts",
                "1",
            ]
        )
    except _Served:
        code = None
    return code, capsys.readouterr().err


@FUZZ
@given(doc=scenarios, as_json=st.booleans())
def test_fuzzed_scenario_documents(
    doc: dict[str, Any],
    as_json: bool,
    tmp_path: Path,
    no_serving: list[Any],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / ("s.json" if as_json else "s.yaml")
    path.write_text(json.dumps(doc) if as_json else yaml.safe_dump(doc, allow_unicode=True))
    built_before = len(no_serving)
    code, err = _simulate(path, capsys)
    if code is None:  # accepted: the scenario must then also run — every host launched once, answers VI/JSON
        sim = no_serving[built_before]
        _launch_everything(sim, caplog)
        return
    assert code == 2
    assert_documented_failure(code, err)


@FUZZ
@example(raw=b"\x00", suffix=".yaml")  # a YAML error message spans two lines
@given(
    raw=st.one_of(
        st.binary(max_size=300),
        texts.map(str.encode),
        st.sampled_from(
            [
                b"",
                b"\xff\xfe",
                b"- a\n- b",
                b"name: [",
                b"{",
                b"null",
                b"!!python/object:os.system x",
                b"name: x\nrules: 5",
                b"&a [*a]",
                b"\x00" * 10,
            ]
        ),
    ),
    suffix=st.sampled_from([".yaml", ".yml", ".json", ".txt", ""]),
)
def test_garbage_scenario_files(
    raw: bytes, suffix: str, tmp_path: Path, no_serving: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / f"scenario{suffix}"
    path.write_bytes(raw)
    code, err = _simulate(path, capsys)
    assert code in (None, 2)
    assert_documented_failure(code or 0, err)


def _launch_everything(sim: Simulator, caplog: pytest.LogCaptureFixture) -> None:
    """Run one ReconfigureHostForDAS_Task per host on an accepted scenario, in process, and read the results."""

    async def wait_for_task(client, task, timeout: float, poll: float) -> wire.TaskInfo:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            info = wire.decode_as(await client.get(task, "info"), wire.TaskInfo)
            if info.done or asyncio.get_running_loop().time() > deadline:
                return info
            await asyncio.sleep(poll)

    async def go() -> None:
        transport = httpx.ASGITransport(sim.app)
        from vsphere_nb.client.aio import AsyncClient
        from vsphere_nb.client.config import RetryPolicy

        client = await AsyncClient.connect(
            "http://127.0.0.1", sim.user, sim.password, transport=transport, retry=RetryPolicy(attempts=1)
        )
        try:
            for host in sim.inventory.hosts:
                try:
                    task = await client.invoke(wire.MoRef("HostSystem", host.moid), "ReconfigureHostForDAS_Task")
                except errors.ServerFault:
                    continue  # a launch fault is a documented answer
                info = await wait_for_task(client, task, timeout=0.5, poll=0.02)
                assert isinstance(info, wire.TaskInfo)
        finally:
            await client.close()

    sim.config.time_scale = 1000.0
    sim.vc.clock.time_scale = 1000.0
    with caplog.at_level(logging.ERROR, logger="vsphere_nb.simulator"):
        try:
            asyncio.run(go())
        finally:
            sim.stop()
    crashes = [r for r in caplog.records if "unexpected error" in r.getMessage() or "failed" in r.getMessage()]
    assert not crashes, [r.getMessage() for r in crashes]


# ---------------------------------------------------------------------------------------------
# run directories (vsphere-nb report DIR, vsphere-nb reconfigure --resume DIR)
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served_sim() -> Iterator[Simulator]:
    with Simulator(
        clusters=2, hosts_per_cluster=3, standalone_hosts=1, scenario="mixed", seed=5, task_seconds=1.0, time_scale=50.0
    ) as sim:
        yield sim


@pytest.fixture(scope="module")
def good_run(served_sim: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real, finished run directory to mutate."""
    from vsphere_nb.batch import BatchLimits
    from vsphere_nb.sync import connect

    run_dir = tmp_path_factory.mktemp("good") / "run"
    with connect(served_sim.url, served_sim.user, served_sim.password) as vc:
        vc.plan_reconfigure(vc.hosts(), BatchLimits(max_in_flight=4, per_cluster=2)).execute(run_dir=run_dir)
    # an hour ago: a resume long after the crash checks a launch without an answer at once, instead of waiting
    # out the sender's read timeout first (which would make every such example take a minute)
    journal = run_dir / "journal.jsonl"
    lines = []
    for line in journal.read_text().splitlines():
        record = json.loads(line)
        for key in ("at", "created_at"):
            if isinstance(record.get(key), str):
                record[key] = _hour_earlier(record[key])
        lines.append(json.dumps(record))
    journal.write_text("\n".join(lines) + "\n")
    return run_dir


def _hour_earlier(stamp: str) -> str:
    from datetime import datetime, timedelta

    return (
        (datetime.fromisoformat(stamp.replace("Z", "+00:00")) - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    )


def _mutate_journal(lines: list[bytes], rng: random.Random, edits: int) -> bytes:
    lines = list(lines)
    for _ in range(edits):
        op = rng.randrange(8)
        if not lines:
            lines.append(b"{}\n")
        i = rng.randrange(len(lines))
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif op == 2:  # cut a line short (a torn write), anywhere
            cut = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:cut]
        elif op == 3:  # flip a byte
            data = bytearray(lines[i])
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
            lines[i] = bytes(data)
        elif op == 4:  # replace one field's value with something of another type
            try:
                record = json.loads(lines[i])
            except ValueError:
                continue
            if isinstance(record, dict) and record:
                key = rng.choice(sorted(record))
                record[key] = rng.choice(
                    [
                        None,
                        0,
                        -1,
                        1e308,
                        "",
                        "x",
                        [],
                        {},
                        [1, "a"],
                        {"_typeName": "Bogus"},
                        True,
                        "2026-99-99T00:00:00Z",
                        "host-1009",
                        {"kind": "launched"},
                    ]
                )
                lines[i] = json.dumps(record).encode() + b"\n"
        elif op == 5:
            lines.insert(
                i,
                rng.choice(
                    [
                        b"\n",
                        b"null\n",
                        b"[]\n",
                        b'"x"\n',
                        b"{\n",
                        b'{"kind": "nope"}\n',
                        b'{"kind": "launched"}\n',
                        b"\xff\xfe\n",
                        b'{"kind": "run_started"}\n',
                    ]
                ),
            )
        elif op == 6:  # swap two records
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        else:  # drop a key
            try:
                record = json.loads(lines[i])
            except ValueError:
                continue
            if isinstance(record, dict) and record:
                record.pop(rng.choice(sorted(record)))
                lines[i] = json.dumps(record).encode() + b"\n"
    return b"".join(lines)


def _mutated_run(good: Path, seed: int, edits: int, keep_frames: bool, damage_frames: bool) -> Path:
    rng = random.Random(seed)
    target = Path(tempfile.mkdtemp(prefix="vsphere-nb-fuzz-run-")) / "run"
    shutil.copytree(good, target)
    journal = target / "journal.jsonl"
    journal.write_bytes(_mutate_journal(journal.read_bytes().splitlines(keepends=True), rng, edits))
    for path in sorted(target.iterdir()):
        if path.name == "journal.jsonl":
            continue
        if not keep_frames:
            path.unlink()
        elif damage_frames and rng.random() < 0.4:
            data = path.read_bytes()
            cut = rng.randrange(len(data) + 1)
            path.write_bytes(data[:cut] + bytes(rng.randrange(256) for _ in range(rng.randrange(20))))
    return target


@FUZZ
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 6), keep_frames=st.booleans(), damage_frames=st.booleans())
def test_mutated_run_directories_report(
    good_run: Path, seed: int, edits: int, keep_frames: bool, damage_frames: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = _mutated_run(good_run, seed, edits, keep_frames, damage_frames)
    try:
        code = cli_main(["report", str(run_dir), "-o", str(run_dir.parent / "report.html")])
        err = capsys.readouterr().err
        assert code in (0, 2), err
        assert_documented_failure(code, err)
    finally:
        shutil.rmtree(run_dir.parent, ignore_errors=True)


@FEW
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 5))
def test_mutated_run_directories_resume(
    good_run: Path,
    served_sim: Simulator,
    seed: int,
    edits: int,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VSPHERE_PASSWORD", served_sim.password)
    monkeypatch.delenv("VSPHERE_SESSION_TOKEN", raising=False)
    run_dir = _mutated_run(good_run, seed, edits, keep_frames=False, damage_frames=False)
    try:
        code = cli_main(
            ["reconfigure", "--server", served_sim.url, "--user", served_sim.user, "--resume", str(run_dir)]
        )
        err = capsys.readouterr().err
        assert code in (0, 1, 2), err
        assert_documented_failure(code, err)
    finally:
        shutil.rmtree(run_dir.parent, ignore_errors=True)


@pytest.mark.parametrize("make", ["missing", "file", "empty", "binary", "journal-dir"])
def test_not_a_run_directory(make: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "run"
    if make == "file":
        target.write_text("hello")
    elif make == "empty":
        target.mkdir()
    elif make == "binary":
        target.mkdir()
        (target / "journal.jsonl").write_bytes(os.urandom(4096))
    elif make == "journal-dir":
        (target / "journal.jsonl").mkdir(parents=True)
    code = cli_main(["report", str(target)])
    assert code == 2
    assert_documented_failure(code, capsys.readouterr().err)


# ---------------------------------------------------------------------------------------------
# host and cluster lists, and other option values
# ---------------------------------------------------------------------------------------------
@FUZZ
@given(
    hosts=st.lists(names, min_size=1, max_size=3),
    clusters=st.lists(names, max_size=2),
    failures=st.one_of(st.none(), names, st.sampled_from(["0", "1", "5%", "100%", "101%", "-1", "1.5", "%"])),
)
def test_fuzzed_host_and_cluster_lists(
    served_sim: Simulator,
    hosts: list[str],
    clusters: list[str],
    failures: str | None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VSPHERE_PASSWORD", served_sim.password)
    monkeypatch.delenv("VSPHERE_SESSION_TOKEN", raising=False)
    argv = ["reconfigure", "--server", served_sim.url, "--user", served_sim.user, "--dry-run"]
    for h in hosts:
        argv += [f"--host={h}"]
    for c in clusters:
        argv += [f"--cluster={c}"]
    if failures is not None:
        argv += [f"--max-failures={failures}"]
    try:
        code = cli_main(argv)
    except SystemExit as exc:  # argparse's own usage error for a value it cannot parse: documented, exit 2
        assert exc.code == 2
        assert "Traceback" not in capsys.readouterr().err
        return
    err = capsys.readouterr().err
    assert code in (0, 2), err
    assert_documented_failure(code, err)


@FUZZ
@example(cluster="\r0", output=None)  # a control character in a name the error message repeats
@example(cluster="a\nb", output=None)
@given(
    cluster=names,
    output=st.one_of(
        st.none(),
        st.sampled_from(["x.csv", "x.parquet", "x.json", "x.txt", "x", "no/such/dir/x.csv", ".csv", "-"]),
        texts,
    ),
)
def test_fuzzed_hosts_command(
    served_sim: Simulator,
    cluster: str,
    output: str | None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VSPHERE_PASSWORD", served_sim.password)
    monkeypatch.chdir(tmp_path)
    argv = ["hosts", "--server", served_sim.url, "--user", served_sim.user, f"--cluster={cluster}"]
    if output is not None:
        argv.append(f"--output={output}")
    try:
        code = cli_main(argv)
    except SystemExit as exc:
        assert exc.code == 2
        return
    err = capsys.readouterr().err
    assert code in (0, 2), err
    assert_documented_failure(code, err)


@FUZZ
@given(
    server=st.one_of(
        texts,
        st.sampled_from(
            [
                "",
                "http://",
                "https://[::1",
                "ftp://x",
                "http://127.0.0.1:1",
                "http://127.0.0.1:99999",
                "https://exa mple.com",
                "http://%zz",
                "http://user:pw@127.0.0.1:1/",
            ]
        ),
    )
)
def test_fuzzed_server_names(server: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VSPHERE_PASSWORD", "not-a-real-password")
    try:
        code = cli_main(["hosts", f"--server={server}", "--user", "u"])
    except SystemExit as exc:
        assert exc.code == 2
        return
    err = capsys.readouterr().err
    assert code == 2, err
    assert_documented_failure(code, err)


# ---------------------------------------------------------------------------------------------
# what a server or a proxy answers, through the client
# ---------------------------------------------------------------------------------------------
statuses = st.one_of(
    st.sampled_from([200, 201, 204, 301, 400, 401, 403, 404, 405, 500, 502, 503, 504]), st.integers(100, 599)
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.sampled_from(
        [
            b"",
            b"{}",
            b"null",
            b'{"_typeName": "NotAuthenticated"}',
            b'{"_typeName": "DasConfigFault"}',
            b'{"_typeName": 5}',
            b'{"_typeName": "ManagedObjectReference", "type": "Task"}',
            b'{"_typeName": "ManagedObjectReference", "type": "Task", "value": "task-1"}',
            b'{"_typeName": "TaskInfo", "state": "bogus"}',
            b"<html>gateway</html>",
            b"[1, 2",
        ]
    ),
)
content_types = st.sampled_from(
    ["application/json", "text/plain", "text/html", "", "application/json; charset=latin-1"]
)


@FUZZ
@given(status=statuses, body=bodies, ctype=content_types, launch=st.booleans())
def test_arbitrary_answers_raise_only_documented_errors(status: int, body: bytes, ctype: str, launch: bool) -> None:
    fake = FakeVCenter()
    headers = {"Content-Type": ctype} if ctype else {}
    answer = httpx.Response(status, content=body, headers=headers)
    call = "HostSystem.ReconfigureHostForDAS_Task" if launch else "HostSystem.runtime"
    fake.inject(call, answer, answer, answer, answer)

    async def go() -> None:
        client = await aconnect(fake)
        try:
            ref = wire.MoRef("HostSystem", "host-42")
            if launch:
                await client.invoke(ref, "ReconfigureHostForDAS_Task")
            else:
                await client.get(ref, "runtime")
        except errors.VsphereError as exc:
            assert str(exc)  # a message a user can read
            assert "\n" not in str(exc).strip() or isinstance(exc, errors.ServerFault)
        finally:
            await client.close()

    asyncio.run(go())
