"""What :meth:`AsyncClient.connect <vsphere_nb.client.aio.AsyncClient.connect>` asks before any session exists:
the service content (``GET …/ServiceInstance/ServiceInstance/content``: the singletons, never hard-coded
elsewhere) and the API release to speak — ``POST /api/vcenter/system?action=hello`` (vCenter 8.0 U2+), else
``about.apiVersion`` when it is ``8.0.1.0`` or newer, else ``8.0.1.0``.
"""

from __future__ import annotations

import json
import logging

from .. import errors, wire
from ._answers import fault_body, interpret
from ._transport import Transport
from .config import DEFAULT_RELEASE, PREFERRED_RELEASES, parse_release

__all__ = ["read_content", "negotiate_release"]

logger = logging.getLogger("vsphere_nb.client")

#: the oldest release with the VI/JSON API (vCenter 8.0 Update 1)
_MIN_RELEASE = (8, 0, 1, 0)
_SERVICE_INSTANCE = wire.MoRef("ServiceInstance", "ServiceInstance")  # the one fixed entry point of the API


async def read_content(http: Transport, release: str) -> wire.ServiceContent:
    """The service content under ``release``, read without a session."""
    path = f"/sdk/vim25/{release}/ServiceInstance/ServiceInstance/content"
    response = await http.send("GET", path, call="ServiceInstance.content", retry=True, token=False)
    if response.status_code == 404 and fault_body(response) is None:
        raise errors.ProtocolError(
            f"no VI/JSON API at {http.origin}/sdk/vim25/{release}/ (HTTP 404): vCenter 8.0 Update 1 or newer "
            "is required, and the release must be one the server knows",
            status=404,
            method="content",
        )
    value = interpret(response, http.stats, method="content", moref=_SERVICE_INSTANCE, launch=False)
    if value is None:
        raise errors.ProtocolError("ServiceInstance content answered an empty body", method="content")
    return wire.decode_as(value, wire.ServiceContent)


async def negotiate_release(http: Transport, content: wire.ServiceContent) -> tuple[str, str]:
    """``(release, source)``: the release to speak and which answer chose it (``hello``, ``about``, ``default``)."""
    hello = await _hello(http)
    if hello:
        return hello, "hello"
    api_version = content.about.apiVersion
    parsed = parse_release(api_version)
    if parsed is not None and parsed >= _MIN_RELEASE:
        return api_version.strip(), "about"
    return DEFAULT_RELEASE, "default"


async def _hello(http: Transport) -> str | None:
    """``POST /api/vcenter/system?action=hello`` (vCenter 8.0 U2+); ``None`` when it is absent or says nothing."""
    try:
        response = await http.send(
            "POST",
            "/api/vcenter/system?action=hello",
            call="vcenter.system.hello",
            json_body={"api_releases": list(PREFERRED_RELEASES)},
            has_body=True,
            retry=True,
            token=False,
        )
    except errors.TransportError as exc:
        logger.debug("release hello failed (%s); falling back", exc)
        return None
    if response.status_code != 200:
        logger.debug("release hello answered HTTP %d; falling back", response.status_code)
        return None
    try:
        data = json.loads(response.content)
    except (ValueError, RecursionError):
        return None
    chosen = data.get("api_release") if isinstance(data, dict) else None
    parsed = parse_release(chosen)
    if parsed is None or parsed < _MIN_RELEASE:
        logger.debug("release hello gave no usable release (%r); falling back", chosen)
        return None
    return str(chosen).strip()
