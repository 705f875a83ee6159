"""No password or session token in any file vsphere-nb writes: run directories, exports, HTML reports, logs.

The scanner (:mod:`secret_scan`) is checked first — it must find a secret in every form it claims to, or its
"zero hits" would prove nothing. Then a real run over HTTP, at debug logging, through the CLI as a user runs it
(password in ``VSPHERE_PASSWORD``; and once with an existing session token in ``VSPHERE_SESSION_TOKEN``), with every
output the CLI can write; the tree is scanned for the passwords and every token the simulator issued.
The chaos suite (``tests/test_chaos.py``) scans its own run the same way.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from secret_scan import MIN_SECRET_LENGTH, Hit, scan_bytes, scan_tree, secret_forms

from vsphere_nb.simulator import Simulator

SECRET = "s3cr3t-Pa/ss+word=42"
ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------------------------
# the scanner finds what it claims to find
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "payload",
    [
        SECRET.encode(),
        quote(SECRET, safe="").encode(),
        quote(SECRET, safe="").lower().encode(),
        json.dumps({"password": SECRET}).encode(),
        f"<td>{SECRET.replace('&', '&amp;')}</td>".encode(),
        base64.b64encode(f"administrator@vsphere.local:{SECRET}".encode()),
        base64.b64encode(b"x" + SECRET.encode() + b"y"),
        base64.b64encode(b"xy" + SECRET.encode()),
        base64.urlsafe_b64encode(b"prefix" + SECRET.encode()),
        SECRET.encode("utf-16-le"),
        gzip.compress(b"log line " + SECRET.encode()),
    ],
    ids=[
        "plain",
        "percent",
        "percent-lower",
        "json",
        "html",
        "basic-auth",
        "b64-1",
        "b64-2",
        "b64url",
        "utf16",
        "gzip",
    ],
)
def test_scanner_finds_every_form(payload: bytes) -> None:
    data = payload if payload[:2] == b"\x1f\x8b" else b"header\n" + payload + b"\ntrailer"  # gzip: a whole file
    hits = scan_bytes(data, {"pw": SECRET})
    assert [h.label for h in hits] == ["pw"]


def test_scanner_walks_trees_zips_and_file_names(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "clean.txt").write_text("nothing here\n")
    (tmp_path / "a" / "b" / "run.jsonl").write_text(f'{{"token": "{SECRET}"}}\n')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner/report.html", f"<p>{SECRET}</p>")
    (tmp_path / "export.zip").write_bytes(buf.getvalue())
    (tmp_path / f"dir-{SECRET.replace('/', '_')}").mkdir()
    hits = scan_tree(tmp_path, {"pw": SECRET, "pw2": SECRET.replace("/", "_")})
    where = sorted(Path(h.path.split("!")[0]).name for h in hits)
    assert "run.jsonl" in where and "export.zip" in where
    assert any(h.form == "file name" for h in hits)
    assert not any("clean.txt" in h.path for h in hits)


def test_scanner_reports_labels_never_secrets(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text(SECRET)
    hits = scan_tree(tmp_path, {"the admin password": SECRET})
    assert hits and all(SECRET not in repr(h) and SECRET not in str(h) for h in hits)
    assert isinstance(hits[0], Hit) and hits[0].label == "the admin password"


def test_scanner_clean_tree_and_random_bytes_have_no_hits(tmp_path: Path) -> None:
    (tmp_path / "noise.bin").write_bytes(os.urandom(200_000))
    (tmp_path / "noise.b64").write_bytes(base64.b64encode(os.urandom(100_000)))
    assert scan_tree(tmp_path, {"pw": SECRET, "token": "0123456789abcdef0123456789abcdef01234567"}) == []


def test_scanner_refuses_short_secrets() -> None:
    with pytest.raises(ValueError):
        scan_tree(".", ["short"])
    assert len(SECRET) >= MIN_SECRET_LENGTH and len(secret_forms(SECRET)) >= 6


# ---------------------------------------------------------------------------------------------
# a real run leaves no secret behind
# ---------------------------------------------------------------------------------------------
def _cli(args: list[str], env: dict[str, str], log: Path, cwd: Path) -> int:
    with open(log, "ab") as fh:
        return subprocess.run(
            [sys.executable, "-m", "vsphere_nb", "-vv", *args],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=str(cwd),
            timeout=120,
        ).returncode


@pytest.mark.slow
def test_cli_run_report_and_exports_hold_no_secret(tmp_path: Path) -> None:
    with Simulator(
        clusters=2, hosts_per_cluster=4, standalone_hosts=1, scenario="mixed", seed=3, task_seconds=2.0, time_scale=20.0
    ) as sim:
        env = {**os.environ, "VSPHERE_PASSWORD": sim.password, "PYTHONPATH": str(ROOT)}
        env.pop("VSPHERE_SESSION_TOKEN", None)
        log = tmp_path / "cli.log"
        server = ["--server", sim.url, "--user", sim.user]
        run_dir = tmp_path / "run"
        assert _cli(["hosts", *server, "-o", str(tmp_path / "hosts.csv")], env, log, tmp_path) == 0
        assert _cli(["hosts", *server, "-o", str(tmp_path / "hosts.json")], env, log, tmp_path) == 0
        assert _cli(["hosts", *server, "-o", str(tmp_path / "hosts.parquet")], env, log, tmp_path) == 0
        assert _cli(
            ["reconfigure", *server, "--yes", "--include-flagged", "--run-dir", str(run_dir), "--max-in-flight", "4"],
            env,
            log,
            tmp_path,
        ) in (0, 1)
        assert _cli(["report", str(run_dir), "-o", str(tmp_path / "report.html")], env, log, tmp_path) == 0
        # an existing session reused through the environment: that token is a secret too
        token_env = {**env, "VSPHERE_SESSION_TOKEN": _login_token(sim)}
        token_env.pop("VSPHERE_PASSWORD")
        assert (
            _cli(["hosts", "--server", sim.url, "-o", str(tmp_path / "hosts-token.csv")], token_env, log, tmp_path) == 0
        )
        secrets = {
            "password": sim.password,
            "readonly password": sim.readonly_password,
            **{f"token #{i}": t for i, t in enumerate(sim.issued_tokens())},
        }
    assert len(secrets) >= 2 + 5  # 4 CLI logins + the session reused by the last call: tokens were issued
    assert (run_dir / "journal.jsonl").exists() and (tmp_path / "report.html").stat().st_size > 1000
    assert "DEBUG" in log.read_text()  # the log really is a debug log
    hits = scan_tree(tmp_path, secrets)
    assert hits == [], "\n".join(map(str, hits))


def _login_token(sim: Simulator) -> str:
    import httpx

    answer = httpx.post(
        f"{sim.url}/sdk/vim25/8.0.3.0/SessionManager/SessionManager/Login",
        json={"userName": sim.user, "password": sim.password},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.headers["vmware-api-session-id"]
