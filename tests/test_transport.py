"""config + transport: server URLs, TLS options (against a real TLS server), timeouts, retries, error mapping."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import socket
import ssl
import subprocess
import sys
import time
import warnings
from pathlib import Path

import httpx
import pytest
from fake_vcenter import FakeVCenter, aconnect, json_response, make_ca_and_server_cert, moref, serve

from vsphere_nb import errors, wire
from vsphere_nb.client._transport import SESSION_HEADER, Transport
from vsphere_nb.client._transport_errors import map_transport_error, request_was_sent
from vsphere_nb.client.config import (
    InsecureTLSWarning,
    RetryPolicy,
    Timeouts,
    parse_release,
    parse_server,
    resolve_verify,
)

HOST = wire.MoRef("HostSystem", "host-1003")


def run(coro):
    return asyncio.run(coro)


# ------------------------------------------------------------------------------------------------
# server URLs
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "given, origin",
    [
        ("vc.example.com", "https://vc.example.com"),
        ("https://vc.example.com", "https://vc.example.com"),
        ("https://vc.example.com/", "https://vc.example.com"),
        ("  VC.example.com  ", "https://vc.example.com"),
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
        ("http://127.0.0.1:18443", "http://127.0.0.1:18443"),
        ("http://localhost:8989", "http://localhost:8989"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("vc01:443", "https://vc01:443"),
        ("10.1.2.3", "https://10.1.2.3"),
    ],
)
def test_parse_server_accepts(given, origin):
    assert parse_server(given) == origin


@pytest.mark.parametrize(
    "given",
    [
        "",
        "   ",
        None,
        42,
        "ftp://vc.example.com",
        "https://",
        "https://vc.example.com/sdk",
        "https://vc/ui/",
        "https://admin:pw@vc.example.com",
        "https://vc.example.com?x=1",
        "https://vc.example.com:99999",
        "https://vc.example.com:port",
        "http://vc.example.com",
        "http://10.0.0.5:8080",
        "vc example.com",
        "https://vc_!bad$.com",
    ],
)
def test_parse_server_rejects(given):
    with pytest.raises(errors.ConfigError):
        parse_server(given)


def test_parse_server_never_echoes_user_info():
    with pytest.raises(errors.ConfigError) as info:
        parse_server("https://admin:hunter2@vc.example.com")
    assert "hunter2" not in str(info.value)


def test_parse_release():
    assert parse_release("8.0.3.0") == (8, 0, 3, 0)
    assert parse_release("10.0.0.1") == (10, 0, 0, 1)
    for bad in ("8.0.3", "8.0.3.0.1", "v8.0.3.0", "", None, 8030):
        assert parse_release(bad) is None


# ------------------------------------------------------------------------------------------------
# timeouts and retry policy
# ------------------------------------------------------------------------------------------------
def test_timeouts_defaults_and_validation():
    t = Timeouts()
    assert (t.connect, t.read, t.total) == (10.0, 60.0, 300.0)
    assert t.to_httpx().read == 60.0
    assert Timeouts(read=None).to_httpx().read is None
    assert (t.longest_wait, Timeouts(total=20).longest_wait, Timeouts(read=None, total=None).longest_wait) == (
        60,
        20,
        None,
    )
    for bad in ({"read": 0}, {"connect": -1}, {"write": "5"}, {"pool": True}, {"total": 0}, {"total": "60"}):
        with pytest.raises(errors.ConfigError):
            Timeouts(**bad)


def test_retry_policy_full_jitter_is_capped_and_exponential():
    policy = RetryPolicy(attempts=6, base=0.2, cap=1.0)
    rng = random.Random(7)
    for retry, ceiling in [(1, 0.2), (2, 0.4), (3, 0.8), (4, 1.0), (5, 1.0), (12, 1.0)]:
        samples = [policy.delay(retry, rng=rng) for _ in range(300)]
        assert all(0.0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling * 0.8  # full jitter spreads over the whole range
        assert min(samples) < ceiling * 0.2
    assert policy.delay(1, retry_after=0.5) == 0.5
    assert policy.delay(1, retry_after=30) == 1.0  # Retry-After is capped too


@pytest.mark.parametrize(
    "kwargs", [{"attempts": 0}, {"attempts": 1.5}, {"base": -1}, {"cap": 0.1, "base": 0.2}, {"attempts": True}]
)
def test_retry_policy_validation(kwargs):
    with pytest.raises(errors.ConfigError):
        RetryPolicy(**kwargs)


def test_retry_after_header_is_honoured():
    fake = FakeVCenter()
    fake.set_property("HostSystem", "host-1003", "name", {"_typeName": "string", "_value": "esx03"})

    async def main():
        async with await aconnect(fake, retry=RetryPolicy(attempts=2, base=0.0, cap=0.3)) as vc:
            fake.inject("HostSystem.name", httpx.Response(503, headers={"Retry-After": "0.25"}))
            started = time.perf_counter()
            await vc.get(HOST, "name")
            return time.perf_counter() - started

    assert run(main()) >= 0.24


# ------------------------------------------------------------------------------------------------
# TLS options
# ------------------------------------------------------------------------------------------------
def test_resolve_verify_variants(tmp_path, caplog):
    assert resolve_verify(True) is True
    ctx = ssl.create_default_context()
    assert resolve_verify(ctx) is ctx
    with pytest.warns(InsecureTLSWarning):
        with caplog.at_level(logging.DEBUG, logger="vsphere_nb"):
            insecure = resolve_verify(False)
    assert isinstance(insecure, ssl.SSLContext) and insecure.verify_mode == ssl.CERT_NONE
    # the warning is the one message: no log record says it a second time
    assert not any("verification is disabled" in r.getMessage() for r in caplog.records)

    ca, _, _ = make_ca_and_server_cert(str(tmp_path))
    assert isinstance(resolve_verify(ca), ssl.SSLContext)
    assert isinstance(resolve_verify(tmp_path), ssl.SSLContext)  # a directory of CA files

    missing = tmp_path / "nope" / "ca.pem"
    with pytest.raises(errors.ConfigError, match=str(missing)):
        resolve_verify(str(missing))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("this is not a certificate")
    with pytest.raises(errors.ConfigError, match="garbage.pem"):
        resolve_verify(str(garbage))
    with pytest.raises(errors.ConfigError):
        resolve_verify(3)


@pytest.fixture()
def tls_server(tmp_path):
    ca, cert, key = make_ca_and_server_cert(str(tmp_path))
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    fake = FakeVCenter()
    fake.set_property("HostSystem", "host-1003", "name", {"_typeName": "string", "_value": "esx03"})
    with serve(fake, tls=server_ctx) as url:
        yield url, ca, fake


def test_tls_default_verification_rejects_an_unknown_ca(tls_server):
    url, _, fake = tls_server
    with pytest.raises(errors.TLSError) as info:
        run(aconnect(fake, server=url, retry=RetryPolicy(attempts=1)))
    assert url in str(info.value) and "verify=" in str(info.value)
    assert fake.password not in str(info.value)
    assert fake.requests == []  # nothing was sent


def test_tls_with_the_ca_file_connects(tls_server):
    url, ca, fake = tls_server

    async def main():
        async with await aconnect(fake, server=url, verify=ca) as vc:
            return await vc.get(HOST, "name")

    assert run(main()) == "esx03"
    assert fake.logouts == 1


def test_tls_verify_false_connects_with_a_warning(tls_server, caplog):
    url, _, fake = tls_server

    async def main():
        async with await aconnect(fake, server=url, verify=False) as vc:
            return await vc.get(HOST, "name")

    caplog.set_level(logging.INFO, logger="vsphere_nb")
    with pytest.warns(InsecureTLSWarning) as caught:
        assert run(main()) == "esx03"
    assert len([w for w in caught if issubclass(w.category, InsecureTLSWarning)]) == 1
    assert not any(r.levelno >= logging.WARNING for r in caplog.records)
    assert any(
        "TLS certificate verification OFF" in r.getMessage() for r in caplog.records if r.levelno == logging.INFO
    )


def test_tls_to_localhost_name_with_ca(tls_server):
    url, ca, fake = tls_server

    async def main():
        async with await aconnect(fake, server=url.replace("127.0.0.1", "localhost"), verify=ca) as vc:
            return vc.about.apiType

    assert run(main()) == "VirtualCenter"


# ------------------------------------------------------------------------------------------------
# real sockets: refused, timeouts, dropped connections
# ------------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_is_a_connect_error_after_retries():
    port = _free_port()
    started = time.perf_counter()
    with pytest.raises(errors.ConnectError) as info:
        run(
            aconnect(
                FakeVCenter(), server=f"http://127.0.0.1:{port}", retry=RetryPolicy(attempts=3, base=0.01, cap=0.02)
            )
        )
    assert f"http://127.0.0.1:{port}" in str(info.value)
    assert info.value.url.endswith("/ServiceInstance/ServiceInstance/content")
    assert time.perf_counter() - started < 5


def test_read_timeout_maps_to_timeout_error():
    fake = FakeVCenter()

    def slow(request):
        time.sleep(0.6)
        return json_response(200, {"_typeName": "string", "_value": "late"})

    async def main(url):
        async with await aconnect(fake, server=url, timeout=Timeouts(read=0.2)) as vc:
            fake.inject("HostSystem.name", slow)
            with pytest.raises(errors.TimeoutError) as info:
                await vc.get(HOST, "name")
            return info.value

    with serve(fake) as url:
        exc = run(main(url))
    assert "timed out waiting for the answer" in str(exc) and url in str(exc)


def test_dropped_connection_on_a_read_is_retried_over_real_http():
    fake = FakeVCenter()
    fake.set_property("HostSystem", "host-1003", "name", {"_typeName": "string", "_value": "esx03"})

    async def main(url):
        async with await aconnect(fake, server=url) as vc:
            fake.inject("HostSystem.name", RuntimeError("crash"))
            value = await vc.get(HOST, "name")
            return value, vc.stats.retries, vc.stats.transport_errors

    with serve(fake) as url:
        value, retries, transport_errors = run(main(url))
    assert value == "esx03" and retries == 1 and transport_errors == 1


def test_dropped_connection_on_a_launch_is_state_unknown_over_real_http():
    fake = FakeVCenter()
    fake.on("HostSystem.ReconfigureHostForDAS_Task", lambda r, b: json_response(200, moref("Task", "task-1")))

    async def main(url):
        async with await aconnect(fake, server=url) as vc:
            fake.inject("HostSystem.ReconfigureHostForDAS_Task", RuntimeError("crash after receiving"))
            await vc.invoke(HOST, "ReconfigureHostForDAS_Task")

    with serve(fake) as url:
        with pytest.raises(errors.LaunchStateUnknown):
            run(main(url))
    assert len(fake.calls("HostSystem.ReconfigureHostForDAS_Task")) == 1


# ------------------------------------------------------------------------------------------------
# the Transport class on its own
# ------------------------------------------------------------------------------------------------
def test_transport_keeps_newest_token_from_2xx_only():
    answers = iter(
        [
            httpx.Response(200, headers={SESSION_HEADER: "t1"}),
            httpx.Response(200, headers={SESSION_HEADER: "t2"}),
            httpx.Response(500, headers={SESSION_HEADER: "t-from-error"}),
            httpx.Response(200),
        ]
    )
    seen = []

    def handler(request):
        seen.append(request.headers.get(SESSION_HEADER))
        return next(answers)

    async def main():
        t = Transport("https://vc.test", http_transport=httpx.MockTransport(handler))
        for _ in range(4):
            await t.send("GET", "/x", call="X.y")
        await t.aclose()
        return t

    t = run(main())
    assert seen == [None, "t1", "t2", "t2"]
    assert t.token.reveal() == "t2"
    assert t.stats.requests == 4 and t.stats.by_call["X.y"] == 4


def test_transport_sends_no_token_when_asked_but_still_learns_one():
    seen = []

    def handler(request):
        seen.append(request.headers.get(SESSION_HEADER))
        return httpx.Response(200, headers={SESSION_HEADER: "fresh"})

    async def main():
        t = Transport("https://vc.test", http_transport=httpx.MockTransport(handler))
        t.token = "old"
        await t.send("POST", "/login", call="SessionManager.Login", token=False)
        await t.aclose()
        return t.token.reveal()

    assert run(main()) == "fresh" and seen == [None]


def test_error_mapping_names_phase_and_server():
    req = httpx.Request("GET", "https://vc.test/x")
    cases = [
        (httpx.ConnectTimeout("t", request=req), errors.TimeoutError, "connecting", False),
        (httpx.ReadTimeout("t", request=req), errors.TimeoutError, "waiting for the answer", True),
        (httpx.PoolTimeout("t", request=req), errors.TimeoutError, "free connection", False),
        (httpx.ConnectError("[Errno 111] refused", request=req), errors.ConnectError, "cannot connect", False),
        (httpx.RemoteProtocolError("Server disconnected", request=req), errors.ConnectError, "reset or closed", True),
        (httpx.ReadError("reset", request=req), errors.ConnectError, "reset or closed", True),
    ]
    for exc, cls, phrase, sent in cases:
        mapped = map_transport_error(exc, origin="https://vc.test", method="GET", path="/x")
        assert type(mapped) is cls and phrase in str(mapped) and "https://vc.test" in str(mapped)
        assert request_was_sent(exc) is sent


def test_tls_failure_is_detected_through_the_exception_chain():
    try:
        try:
            raise ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed certificate")
        except ssl.SSLError as inner:
            raise httpx.ConnectError("handshake failed") from inner
    except httpx.ConnectError as exc:
        mapped = map_transport_error(exc, origin="https://vc.test", method="GET", path="/x")
    assert isinstance(mapped, errors.TLSError)


def test_no_insecure_warning_when_verification_is_on():
    fake = FakeVCenter()
    with warnings.catch_warnings():
        warnings.simplefilter("error", InsecureTLSWarning)

        async def main():
            async with await aconnect(fake):
                pass

        run(main())


# ------------------------------------------------------------------------------------------------
# hostile or broken servers: an overall deadline per call, a cap on the answer's size
# ------------------------------------------------------------------------------------------------
class EndlessBody(httpx.AsyncByteStream):
    """An answer that never ends: ``chunk`` bytes every ``pause`` seconds; counts what it produced."""

    def __init__(self, chunk: bytes, pause: float = 0.0) -> None:
        self.chunk, self.pause, self.sent = chunk, pause, 0

    async def __aiter__(self):
        while True:
            self.sent += 1
            yield self.chunk
            await asyncio.sleep(self.pause)


def endless_transport(body: EndlessBody, headers: dict[str, str] | None = None) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, headers=headers or {}, stream=body))


def test_a_trickling_server_cannot_hold_hosts_beyond_the_deadline():
    """A real server on 127.0.0.1 answering the inventory page one byte every 0.05 s: the read timeout (0.5 s)
    restarts with every byte and never fires; ``Timeouts.total`` ends the call."""
    from fake_vcenter import TRICKLE_HEADER
    from messy_vcenter import MessyVCenter

    from vsphere_nb.sync import connect

    fake = MessyVCenter(hosts=20)

    def trickle(request):
        response = fake._retrieve(request, json.loads(request.content))
        response.headers[TRICKLE_HEADER] = "0.05"
        return response

    fake.inject("PropertyCollector.RetrievePropertiesEx", trickle)
    with serve(fake) as url:
        with connect(url, fake.user, fake.password, timeout=Timeouts(read=0.5, total=1.5)) as vc:
            started = time.perf_counter()
            with pytest.raises(errors.TimeoutError) as info:
                vc.hosts()
            elapsed = time.perf_counter() - started
            assert vc.stats.retries == 0  # a deadline is not retried
    assert 1.4 < elapsed < 4
    assert "no complete answer within 1.5 s (Timeouts.total)" in str(info.value) and url in str(info.value)
    assert len(fake.calls("PropertyCollector.RetrievePropertiesEx")) == 1


def test_a_launch_that_trickles_past_the_deadline_may_have_started():
    body = EndlessBody(b" ", pause=0.02)
    transport = Transport("https://vc.test", timeouts=Timeouts(total=0.3), http_transport=endless_transport(body))

    async def main():
        try:
            with pytest.raises(errors.LaunchStateUnknown) as launch:
                await transport.send(
                    "POST",
                    "/sdk/vim25/8.0.3.0/HostSystem/host-1/ReconfigureHostForDAS_Task",
                    call="HostSystem.ReconfigureHostForDAS_Task",
                    json_body={},
                    has_body=True,
                    launch=True,
                    moref=wire.MoRef("HostSystem", "host-1"),
                )
            with pytest.raises(errors.TimeoutError):
                await transport.send(
                    "GET", "/sdk/vim25/8.0.3.0/HostSystem/host-1/name", call="HostSystem.name", retry=True
                )
            return launch.value
        finally:
            await transport.aclose()

    started = time.perf_counter()
    exc = run(main())
    assert time.perf_counter() - started < 2
    assert "Timeouts.total" in str(exc) and "recentTask" in str(exc) and exc.moref == wire.MoRef("HostSystem", "host-1")
    assert transport.stats.retries == 0


def test_an_endless_answer_is_cut_at_the_size_cap():
    body = EndlessBody(b"x" * (1024 * 1024))
    transport = Transport("https://vc.test", http_transport=endless_transport(body), max_response_bytes=4 * 1024 * 1024)

    async def main():
        try:
            return await transport.send(
                "GET", "/sdk/vim25/8.0.3.0/Folder/group-d1/childEntity", call="Folder.childEntity", retry=True
            )
        finally:
            await transport.aclose()

    with pytest.raises(errors.ProtocolError) as info:
        run(main())
    assert "capped at 4 MiB (max_response_bytes)" in str(info.value) and "Folder.childEntity" in str(info.value)
    assert body.sent <= 6  # stopped reading right after the limit, not at the end of the answer
    assert transport.stats.retries == 0


def test_an_announced_huge_answer_is_refused_before_reading_it():
    body = EndlessBody(b"x" * 1024)
    transport = Transport(
        "https://vc.test",
        http_transport=endless_transport(body, {"Content-Length": str(400 * 1024 * 1024)}),
        max_response_bytes=1024 * 1024,
    )

    async def main():
        try:
            await transport.send("GET", "/sdk/vim25/8.0.3.0/Folder/group-d1/name", call="Folder.name")
        finally:
            await transport.aclose()

    with pytest.raises(errors.ProtocolError) as info:
        run(main())
    assert "announces 400 MiB" in str(info.value) and "capped at 1 MiB" in str(info.value)
    assert body.sent == 0


def test_hosts_fails_clearly_when_a_page_is_over_the_cap_and_fits_with_smaller_pages():
    from messy_vcenter import MessyVCenter

    from vsphere_nb.sync import connect

    fake = MessyVCenter(hosts=300)
    with connect(
        "https://vc.test", fake.user, fake.password, transport=fake.transport(), max_response_bytes=256 * 1024
    ) as vc:
        assert vc.max_response_bytes == 256 * 1024
        with pytest.raises(errors.ProtocolError, match=r"capped at 262144 bytes \(max_response_bytes\)"):
            vc.hosts(page_size=2000)
        assert len(vc.hosts(page_size=100)) == 300


def test_normal_answers_are_unchanged_by_streaming():
    fake = FakeVCenter(rotate_tokens=True)
    fake.set_property("HostSystem", "host-1", "name", {"_typeName": "string", "_value": "esx01"})

    async def main():
        async with await aconnect(fake) as vc:
            return await vc.get(wire.MoRef("HostSystem", "host-1"), "name"), vc.session_token.reveal()

    name, token = run(main())
    assert name == "esx01" and token == fake.issued[-1]  # headers (the rotated session) still read


@pytest.mark.parametrize("logging_setup", ["", "logging.basicConfig(level=logging.INFO)"])
def test_insecure_warning_once_per_connection_in_a_real_process(logging_setup):
    """Two connections from the same line, with Python's default warning filters (which show a warning once per
    line) and with logging configured or not: exactly one warning per connection, nothing repeated in the log."""
    script = f"""
import logging, sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from fake_vcenter import FakeVCenter
from vsphere_nb.sync import connect
{logging_setup}
fake = FakeVCenter()
for _ in range(2):
    with connect("https://vc.test", fake.user, fake.password, verify=False, transport=fake.transport()):
        pass
"""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    env.pop("PYTHONWARNINGS", None)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("TLS certificate verification is disabled") == 2, done.stderr
    assert done.stderr.count("InsecureTLSWarning") == 2
