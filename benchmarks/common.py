"""What every benchmark shares: the simulator as its own process, timers, memory probes, the machine description.

The simulator runs in a **separate process** (``python -m vsphere_nb simulate``) for every figure that involves
HTTP: on a 2-core machine a simulator thread inside the benchmark process would fight the client for the GIL and
every figure would measure that fight rather than the code. The client is the benchmark process itself.
"""

from __future__ import annotations

import json
import os
import platform
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

__all__ = ["SimProcess", "Timer", "machine", "rss_bytes", "peak_rss_bytes", "ratio", "fmt_ratio", "fmt_seconds", "REPO"]

REPO = Path(__file__).resolve().parent.parent
_LISTENING = re.compile(r"listening on (\S+)")


@dataclass
class SimProcess:
    """``vsphere-nb simulate`` in a child process on a free loopback port.

    ``SimProcess(clusters=..., hosts_per_cluster=..., scenario=..., task_seconds=..., time_scale=...)``: keyword
    arguments become ``--flag value`` (``True`` → ``--flag``). The administrator password is chosen here and
    passed through ``VSPHERE_NB_SIM_PASSWORD``, so no secret is parsed from the child's output.
    """

    options: dict[str, Any] = field(default_factory=dict)
    url: str = ""
    user: str = "administrator@vsphere.local"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18), repr=False)
    proc: subprocess.Popen[str] | None = None
    _lines: list[str] = field(default_factory=list, repr=False)

    @classmethod
    def of(cls, **options: Any) -> SimProcess:
        return cls(options=options)

    def argv(self) -> list[str]:
        args = [sys.executable, "-m", "vsphere_nb", "simulate", "--port", "0"]
        for key, value in self.options.items():
            if value is None or value is False:
                continue
            flag = "--" + key.replace("_", "-")
            args += [flag] if value is True else [flag, str(value)]
        return args

    def start(self, timeout: float = 120.0) -> SimProcess:
        env = {**os.environ, "VSPHERE_NB_SIM_PASSWORD": self.password, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            self.argv(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=str(REPO)
        )
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self._lines.append(line.rstrip())
            match = _LISTENING.search(line)
            if match:
                self.url = match.group(1)
                # keep draining the pipe so the child never blocks on a full pipe
                threading.Thread(target=self._drain, daemon=True).start()
                return self
        self.stop()
        tail = "\n".join(line for line in self._lines[-20:] if "password" not in line)
        raise RuntimeError(f"simulator did not start:\n{tail}")

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            if "password" not in line:
                self._lines.append(line.rstrip())
            if len(self._lines) > 2000:
                del self._lines[:1000]

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def __enter__(self) -> SimProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- what the simulator says about itself ------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/simulator/stats", timeout=30).json()

    def reset_stats(self) -> None:
        httpx.post(f"{self.url}/simulator/stats/reset", timeout=30).raise_for_status()

    def info(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/simulator/info", timeout=30).json()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss(self) -> int:
        """Resident memory of the simulator process now, in bytes."""
        return rss_bytes(self.pid)

    def connect(self, **kwargs: Any) -> Any:
        from vsphere_nb.sync import connect

        return connect(self.url, self.user, self.password, **kwargs)

    def total_requests(self) -> int:
        return sum(self.stats()["requests"].values())


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: Any) -> None:
        self.seconds = time.perf_counter() - self.start


def _status_field(pid: int, name: str) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{name} not in /proc/{pid}/status")


def rss_bytes(pid: int | None = None) -> int:
    """Resident set size of ``pid`` (default: this process) now."""
    return _status_field(pid or os.getpid(), "VmRSS")


def peak_rss_bytes(pid: int | None = None) -> int:
    """Peak resident set size (``VmHWM``) of ``pid`` (default: this process)."""
    return _status_field(pid or os.getpid(), "VmHWM")


def ratio(baseline: float, ours: float) -> float | None:
    """``baseline / ours`` (how many times better ours is); ``None`` when undefined."""
    if not ours or baseline is None:
        return None
    return baseline / ours


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}×"


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value < 1:
        return f"{value * 1000:,.0f} ms"
    return f"{value:,.2f} s"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import httpx as _httpx
    import pandas
    import pyarrow
    import uvicorn

    from vsphere_nb import __version__

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_bytes": _mem_total(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "vsphere_nb": __version__,
        "httpx": _httpx.__version__,
        "uvicorn": uvicorn.__version__,
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
    }


def iter_json_lines(path: Path) -> Iterator[dict[str, Any]]:
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if line:
                yield json.loads(line)
