"""``vsphere-nb simulate``: prints where it listens and the credentials, serves, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time

import httpx

from vsphere_nb.cli import main


def start(*args: str, env: dict | None = None) -> tuple[subprocess.Popen, dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "vsphere_nb", "simulate", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    lines: dict[str, str] = {}
    deadline = time.monotonic() + 30
    while "scenario" not in lines:
        assert time.monotonic() < deadline, "simulator did not start"
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        key, _, value = line.strip().partition(": ")
        if line.startswith("vsphere-nb simulator listening on "):
            lines["url"] = line.strip().rsplit(" ", 1)[1]
        else:
            lines[key] = value
    return proc, lines


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(10)
    finally:
        proc.stdout.close()
        proc.stderr.close()


def test_simulate_prints_url_and_credentials_and_serves():
    proc, lines = start("--clusters", "1", "--hosts-per-cluster", "2", "--scenario", "healthy", "--seed", "3")
    try:
        assert lines["url"].startswith("http://127.0.0.1:")
        assert lines["user"] == "administrator@vsphere.local" and len(lines["password"]) >= 12
        r = httpx.post(
            f"{lines['url']}/sdk/vim25/8.0.3.0/SessionManager/SessionManager/Login",
            json={"userName": lines["user"], "password": lines["password"]},
        )
        assert r.status_code == 200
    finally:
        assert stop(proc) == 0


def test_simulate_tls_writes_a_ca_file_and_takes_the_password_from_the_environment():
    proc, lines = start(
        "--tls", "--clusters", "1", "--hosts-per-cluster", "1", env={"VSPHERE_NB_SIM_PASSWORD": "demo-Passw0rd"}
    )
    try:
        assert lines["url"].startswith("https://") and os.path.isfile(lines["ca file"])
        assert lines["password"] == "demo-Passw0rd"
        context = ssl.create_default_context(cafile=lines["ca file"])
        r = httpx.get(f"{lines['url']}/sdk/vim25/8.0.3.0/ServiceInstance/ServiceInstance/content", verify=context)
        assert r.json()["_typeName"] == "ServiceContent"
    finally:
        assert stop(proc) == 0


def test_simulate_bad_arguments_are_one_line_errors(capsys, tmp_path):
    bad = tmp_path / "s.yaml"
    bad.write_text("rules: [{outcome: nope}]")
    assert main(["simulate", "--scenario", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vsphere-nb: error: scenario") and len(err.strip().splitlines()) == 1
    assert main(["simulate", "--scenario", "no-such-scenario"]) == 2
