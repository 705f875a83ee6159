"""What a SOAP client finds at ``/sdk``: a SOAP fault saying this server speaks VI/JSON, and the service
versions document a vCenter publishes (``/sdk/vimServiceVersions.xml``), so SOAP tooling fails with a clear
message instead of a bare 404.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

__all__ = ["soap_fault", "service_versions", "SOAP_CONTENT_TYPE"]

SOAP_CONTENT_TYPE = "text/xml; charset=utf-8"


def soap_fault(newest: str, releases: list[str]) -> bytes:
    """A SOAP 1.1 ``NotSupported`` fault whose text points to the VI/JSON endpoint."""
    text = (
        "This server (the vsphere-nb vCenter simulator) does not speak SOAP. It serves the same API as VI/JSON at "
        f"/sdk/vim25/{{release}}/{{type}}/{{moId}}/{{property or method}}, e.g. /sdk/vim25/{newest}/ServiceInstance/"
        f"ServiceInstance/content; releases: {', '.join(releases)}."
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        "<soapenv:Body>\n<soapenv:Fault>\n<faultcode>ServerFaultCode</faultcode>\n"
        f"<faultstring>{escape(text)}</faultstring>\n"
        '<detail><NotSupportedFault xmlns="urn:vim25" xsi:type="NotSupported"></NotSupportedFault></detail>\n'
        "</soapenv:Fault>\n</soapenv:Body>\n</soapenv:Envelope>\n"
    ).encode()


def service_versions(current: str, prior: list[str]) -> bytes:
    """``vimServiceVersions.xml`` as vCenter serves it: the current ``urn:vim25`` release and the prior ones."""
    versions = "".join(f"      <version>{escape(v)}</version>\n" for v in prior)
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        '<namespaces version="1.0">\n'
        "  <namespace>\n"
        "    <name>urn:vim25</name>\n"
        f"    <version>{escape(current)}</version>\n"
        "    <priorVersions>\n"
        f"{versions}"
        "    </priorVersions>\n"
        "  </namespace>\n"
        "  <namespace>\n"
        "    <name>urn:vim2</name>\n"
        "    <version>2.0</version>\n"
        "  </namespace>\n"
        "</namespaces>\n"
    ).encode()
