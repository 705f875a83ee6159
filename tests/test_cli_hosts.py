"""``vsphere-nb hosts`` against the simulator: the table, ``-o`` files, selection, and every user error as one
line on stderr with exit code 2, no traceback and no password anywhere in the output."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from vsphere_nb.cli import main
from vsphere_nb.fleet.inventory import HOST_COLUMNS
from vsphere_nb.simulator import Simulator

ROOT = Path(__file__).resolve().parents[1]
WRONG = "Wr0ng-pa55word-xyz"


@pytest.fixture(scope="module")
def sim():
    with Simulator(
        clusters=5, hosts_per_cluster=4, standalone_hosts=1, scenario="mixed", seed=2, time_scale=100
    ) as sim:
        yield sim


def hosts_cmd(sim: Simulator, *extra: str) -> list[str]:
    return ["hosts", "--server", sim.url, "--user", sim.user, *extra]


def run_cli(argv: list[str], capsys, monkeypatch, password: str | None) -> tuple[int, str, str]:
    if password is None:
        monkeypatch.delenv("VSPHERE_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("VSPHERE_PASSWORD", password)
    monkeypatch.delenv("VSPHERE_SESSION_TOKEN", raising=False)
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, out: str, err: str, *, contains: str, secrets: tuple[str, ...]) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vsphere-nb: error: "), err
    assert contains in lines[0]
    assert "Traceback" not in out + err
    for secret in secrets:
        assert secret not in out + err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_table_on_stdout(sim, capsys, monkeypatch):
    code, out, err = run_cli(hosts_cmd(sim), capsys, monkeypatch, sim.password)
    assert code == 0, err
    for h in sim.inventory.hosts:
        assert h.name in out
    assert "in maintenance mode" in out or "host disconnected" in out
    assert "vSphere HA not enabled on the cluster" in out
    assert sim.password not in out + err


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_output_files(sim, capsys, monkeypatch, tmp_path, suffix):
    path = tmp_path / f"hosts{suffix}"
    code, out, err = run_cli(hosts_cmd(sim, "-o", str(path)), capsys, monkeypatch, sim.password)
    assert code == 0, err
    if suffix == ".csv":
        frame = pd.read_csv(path)
    elif suffix == ".parquet":
        frame = pd.read_parquet(path)
        assert isinstance(frame["skip_reason"].dtype, pd.CategoricalDtype)  # dtypes survive Parquet
    else:
        records = json.loads(path.read_text())
        assert isinstance(records, list) and isinstance(records[0], dict)
        frame = pd.DataFrame(records)
    assert list(frame.columns) == HOST_COLUMNS
    assert sorted(frame["host_moid"].astype(str)) == sorted(h.moid for h in sim.inventory.hosts)
    by_moid = frame.set_index(frame["host_moid"].astype(str))
    for h in sim.inventory.hosts:
        assert str(by_moid.loc[h.moid, "host"]) == h.name
        assert bool(by_moid.loc[h.moid, "in_maintenance"]) == h.in_maintenance


def test_cluster_and_only_unhealthy_select_rows(sim, capsys, monkeypatch, tmp_path):
    path = tmp_path / "sel.csv"
    code, _, err = run_cli(
        hosts_cmd(sim, "--cluster", "DC0_C0", "--cluster", "DC0_C2", "--only-unhealthy", "-o", str(path)),
        capsys,
        monkeypatch,
        sim.password,
    )
    assert code == 0, err
    frame = pd.read_csv(path)
    want = {
        h.moid
        for h in sim.inventory.hosts
        if h.compute_resource.name in ("DC0_C0", "DC0_C2") and h.das_state not in ("master", "connectedToMaster")
    }
    assert set(frame["host_moid"]) == want


def test_wrong_password(sim, capsys, monkeypatch):
    code, out, err = run_cli(hosts_cmd(sim), capsys, monkeypatch, WRONG)
    assert_one_line_error(code, out, err, contains="InvalidLogin", secrets=(WRONG, sim.password))


def test_no_password_and_no_terminal(sim, capsys, monkeypatch):
    code, out, err = run_cli(hosts_cmd(sim), capsys, monkeypatch, None)
    assert_one_line_error(code, out, err, contains="VSPHERE_PASSWORD", secrets=(sim.password,))


def test_unknown_cluster(sim, capsys, monkeypatch):
    code, out, err = run_cli(hosts_cmd(sim, "--cluster", "nope-cluster"), capsys, monkeypatch, sim.password)
    assert_one_line_error(code, out, err, contains="nope-cluster", secrets=(sim.password,))


def test_unreachable_server(capsys, monkeypatch):
    argv = ["hosts", "--server", f"http://127.0.0.1:{free_port()}", "--user", "u"]
    code, out, err = run_cli(argv, capsys, monkeypatch, WRONG)
    assert_one_line_error(code, out, err, contains="cannot connect", secrets=(WRONG,))


@pytest.mark.parametrize("content", [None, "this is not a certificate\n"])
def test_bad_ca_file(sim, capsys, monkeypatch, tmp_path, content):
    ca = tmp_path / "ca.pem"
    if content is not None:
        ca.write_text(content)
    argv = ["hosts", "--server", sim.url.replace("http://", "https://"), "--user", sim.user, "--ca-bundle", str(ca)]
    code, out, err = run_cli(argv, capsys, monkeypatch, sim.password)
    assert_one_line_error(code, out, err, contains=str(ca), secrets=(sim.password,))


def test_tls_with_the_right_ca_bundle(capsys, monkeypatch):
    with Simulator(clusters=1, hosts_per_cluster=2, standalone_hosts=0, scenario="healthy", tls=True) as tls_sim:
        argv = ["hosts", "--server", tls_sim.url, "--user", tls_sim.user, "--ca-bundle", tls_sim.ca_file]
        code, out, err = run_cli(argv, capsys, monkeypatch, tls_sim.password)
        assert code == 0, err
        assert "DC0_C0_H00" in out and "DC0_C0_H01" in out
        # without the CA the certificate is refused: one line, exit 2
        argv = ["hosts", "--server", tls_sim.url, "--user", tls_sim.user]
        code, out, err = run_cli(argv, capsys, monkeypatch, tls_sim.password)
        assert_one_line_error(code, out, err, contains="TLS", secrets=(tls_sim.password,))


@pytest.mark.parametrize(
    "output, contains", [("hosts.xlsx", ".csv, .parquet or .json"), ("missing-dir/hosts.csv", "does not exist")]
)
def test_bad_output_path(sim, capsys, monkeypatch, tmp_path, output, contains):
    code, out, err = run_cli(hosts_cmd(sim, "-o", str(tmp_path / output)), capsys, monkeypatch, sim.password)
    assert_one_line_error(code, out, err, contains=contains, secrets=(sim.password,))


def test_console_script_error_is_one_line_in_a_real_process(sim):
    """The same through a real ``python -m vsphere_nb`` process (logging configured by the CLI itself)."""
    env = {**os.environ, "VSPHERE_PASSWORD": WRONG, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "vsphere_nb", *hosts_cmd(sim)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1
    assert "InvalidLogin" in done.stderr and WRONG not in done.stderr and "Traceback" not in done.stderr


def test_default_table_is_compact_and_missing_values_are_empty(sim, capsys, monkeypatch):
    code, out, err = run_cli(hosts_cmd(sim), capsys, monkeypatch, sim.password)
    assert code == 0, err
    header = out.splitlines()[0].split()
    assert header[:3] == ["cluster", "host", "connection"] and "host_moid" not in header
    assert "NaN" not in out and "<NA>" not in out and "None" not in out
    assert max(len(line) for line in out.splitlines()) <= 120  # not a terminal: laid out for 120 columns
    standalone = next(line for line in out.splitlines() if "DC0_H00" in line)
    assert standalone.startswith(" ")  # no cluster: an empty cell


def test_columns_choose_what_the_table_shows(sim, capsys, monkeypatch):
    code, out, err = run_cli(hosts_cmd(sim, "--columns", "host,host_moid,version"), capsys, monkeypatch, sim.password)
    assert code == 0, err
    assert out.splitlines()[0].split() == ["host", "host", "moId", "version"]  # the labels of the columns
    code, out, err = run_cli(hosts_cmd(sim, "--columns", "all"), capsys, monkeypatch, sim.password)
    assert code == 0, err
    # 20 columns cannot sit side by side in 120: one block per host, every non-empty value readable
    assert out.startswith("-- 1 --") and len(re.findall(r"^-- \d+ --", out, re.M)) == len(sim.inventory.hosts)
    assert "host_moid" in out and "disabled_methods" in out and max(len(line) for line in out.splitlines()) <= 120
    code, out, err = run_cli(hosts_cmd(sim, "--columns", "host,nope"), capsys, monkeypatch, sim.password)
    assert_one_line_error(code, out, err, contains="'nope'", secrets=(sim.password,))
    assert "choose from: vcenter, datacenter, cluster" in err


def test_json_and_csv_on_stdout(sim, capsys, monkeypatch):
    code, out, err = run_cli(hosts_cmd(sim, "-o", "json"), capsys, monkeypatch, sim.password)
    assert code == 0, err
    records = json.loads(out)
    assert [list(r) for r in records[:1]] == [HOST_COLUMNS]
    standalone = next(r for r in records if r["host"] == "DC0_H00")
    assert standalone["cluster"] is None  # null, not "NaN"
    code, out, err = run_cli(
        hosts_cmd(sim, "-o", "csv", "--columns", "host,cluster"), capsys, monkeypatch, sim.password
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "host,cluster" and "DC0_H00," in lines and len(lines) == 1 + len(sim.inventory.hosts)


def test_parquet_on_stdout_through_a_pipe(sim):
    env = {**os.environ, "VSPHERE_PASSWORD": sim.password, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "vsphere_nb", *hosts_cmd(sim), "-o", "parquet"],
        capture_output=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    import io

    frame = pd.read_parquet(io.BytesIO(done.stdout))
    assert list(frame.columns) == HOST_COLUMNS and len(frame) == len(sim.inventory.hosts)
