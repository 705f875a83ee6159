"""Passwords and session tokens never show in reprs, exception messages or log records (any level, any logger).

The log tests run over real HTTP on 127.0.0.1 so that httpx's and httpcore's own DEBUG logging is exercised:
httpcore logs raw response headers, which include ``vmware-api-session-id``.
"""

from __future__ import annotations

import asyncio
import logging
import pickle

import httpx
import pytest
from fake_vcenter import FakeVCenter, aconnect, serve

from vsphere_nb import errors, wire
from vsphere_nb.client.config import RetryPolicy, Secret, redact
from vsphere_nb.sync import connect

HOST = wire.MoRef("HostSystem", "host-1003")
PASSWORD = "Pa55-w0rd-that-must-not-leak"


def run(coro):
    return asyncio.run(coro)


def make_fake() -> FakeVCenter:
    fake = FakeVCenter(password=PASSWORD)
    fake.set_property("HostSystem", "host-1003", "name", {"_typeName": "string", "_value": "esx03"})
    return fake


def secrets_of(fake: FakeVCenter) -> list[str]:
    return [PASSWORD, *fake.issued]


def assert_clean(text: str, fake: FakeVCenter) -> None:
    for secret in secrets_of(fake):
        assert secret not in text, f"secret leaked: {text[:300]!r}"


def all_log_text(caplog) -> str:
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        parts.append(repr(record.__dict__))
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------------
# Secret and reprs
# ------------------------------------------------------------------------------------------------
def test_secret_hides_its_value():
    s = Secret("hunter2-token")
    assert "hunter2" not in repr(s) and "hunter2" not in str(s) and "hunter2" not in f"{s}"
    assert s.reveal() == "hunter2-token"
    assert s == Secret("hunter2-token") and s != Secret("other")
    with pytest.raises(TypeError):
        pickle.dumps(s)
    assert repr({"password": s}) == "{'password': Secret('***')}"


def test_redact_scrubs_live_secrets_and_session_headers():
    s = Secret("zq-live-secret-91")
    text = f"password={s.reveal()} headers=[(b'vmware-api-session-id', b'abc123def')] Cookie: vmware_soap_session=xyz"
    cleaned = redact(text)
    assert "zq-live-secret-91" not in cleaned and "abc123def" not in cleaned and "xyz" not in cleaned
    assert "vmware-api-session-id" in cleaned  # the header name stays, for debugging


def test_client_reprs_show_no_secrets():
    fake = make_fake()

    async def main():
        vc = await aconnect(fake)
        text = repr(vc) + str(vc) + repr(vc.session_token) + repr(vc.__dict__) + repr(vc._transport.__dict__)
        await vc.close()
        return text

    text = run(main())
    assert_clean(text, fake)
    assert "AsyncClient https://vc.test" in text

    with connect("https://vc.test", fake.user, PASSWORD, transport=fake.transport()) as vc:
        assert_clean(repr(vc) + str(vc) + repr(vc.__dict__), fake)


# ------------------------------------------------------------------------------------------------
# exceptions
# ------------------------------------------------------------------------------------------------
def test_failed_login_exception_has_no_password():
    fake = make_fake()
    with pytest.raises(errors.ServerFault) as info:
        run(aconnect(fake, user=fake.user, password=PASSWORD + "-wrong"))
    text = str(info.value) + repr(info.value) + repr(info.value.raw) + repr(info.value.args)
    assert PASSWORD not in text


def test_protocol_error_does_not_echo_a_token_from_the_body():
    fake = make_fake()

    async def main():
        async with await aconnect(fake) as vc:
            token = vc.session_token.reveal()
            fake.inject(
                "HostSystem.UpdateFlags",
                httpx.Response(
                    500,
                    content=f"<html>bad request with header vmware-api-session-id: {token}</html>".encode(),
                    headers={"Content-Type": "text/html"},
                ),
            )
            with pytest.raises(errors.ProtocolError) as info:
                await vc.invoke(HOST, "UpdateFlags")
            return str(info.value)

    text = run(main())
    assert "HTTP 500" in text
    assert_clean(text, fake)


def test_transport_and_auth_errors_have_no_secrets():
    fake = make_fake()

    async def main():
        async with await aconnect(fake) as vc:
            leaky = httpx.ConnectError(f"refused with {vc.session_token.reveal()} in it")
            fake.inject("HostSystem.name", *[leaky] * 4)  # a read: retried up to 4 attempts
            with pytest.raises(errors.ConnectError) as transport_info:
                await vc.get(HOST, "name")
            fake.password = "rotated"
            fake.expire_sessions()
            with pytest.raises(errors.NotAuthenticatedError) as auth_info:
                await vc.get(HOST, "name")
            return [transport_info.value, auth_info.value]

    for exc in run(main()):
        chain = []
        node = exc
        while node is not None:
            chain.append(f"{type(node).__name__}: {node} {node!r}")
            node = node.__cause__ or node.__context__
        assert_clean("\n".join(chain), fake)


# ------------------------------------------------------------------------------------------------
# logs, over real HTTP, at DEBUG, every logger
# ------------------------------------------------------------------------------------------------
@pytest.fixture()
def debug_logs(caplog):
    caplog.set_level(logging.DEBUG)  # the root logger: httpx, httpcore and vsphere_nb all log
    assert logging.getLogger().getEffectiveLevel() == logging.DEBUG
    return caplog


def test_failing_login_at_debug_leaks_nothing(debug_logs):
    fake = make_fake()
    with serve(fake) as url:
        with pytest.raises(errors.ServerFault):
            run(aconnect(fake, server=url, user=fake.user, password=PASSWORD + "-typo", retry=RetryPolicy(attempts=1)))
    text = all_log_text(debug_logs)
    assert PASSWORD not in text
    # the test can fail: the HTTP stack did log this exchange at DEBUG
    assert any(r.name.startswith("httpcore") for r in debug_logs.records)
    assert any(r.name == "httpx" for r in debug_logs.records)


def test_session_lifecycle_at_debug_leaks_no_token(debug_logs):
    fake = make_fake()
    fake.rotate_tokens = True  # many different tokens on the wire

    async def main(url):
        async with await aconnect(fake, server=url) as vc:
            for _ in range(3):
                await vc.get(HOST, "name")
            fake.expire_sessions()
            await vc.get(HOST, "name")  # re-login
            logging.getLogger("vsphere_nb.test").debug("client is %r token %s", vc, vc.session_token)

    with serve(fake) as url:
        run(main(url))
    assert len(fake.issued) >= 5
    text = all_log_text(debug_logs)
    assert_clean(text, fake)
    header_lines = [
        r.getMessage()
        for r in debug_logs.records
        if r.name.startswith("httpcore") and "receive_response_headers.complete" in r.getMessage()
    ]
    # httpcore did log the raw response headers, and the token in them was replaced
    assert any("vmware-api-session-id" in line and "***" in line for line in header_lines)


def test_sync_facade_at_debug_leaks_nothing(debug_logs):
    fake = make_fake()
    with serve(fake) as url:
        with connect(url, fake.user, PASSWORD) as vc:
            assert vc.get(HOST, "name") == "esx03"
    assert fake.issued
    assert_clean(all_log_text(debug_logs), fake)
