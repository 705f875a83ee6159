"""``DiagnosticManager``'s answers: the log files a host lists (``QueryDescriptions``) and a slice of one log
(``BrowseDiagnosticLog``). Names and fields are VMware's (pyVmomi: ``vim.DiagnosticManager.LogDescriptor`` and
``.LogHeader``)."""

from __future__ import annotations

from .base import VimObject
from .managers import Description

__all__ = ["DiagnosticManagerLogDescriptor", "DiagnosticManagerLogHeader"]


class DiagnosticManagerLogDescriptor(VimObject):
    key: str = ""
    fileName: str = ""
    creator: str = ""
    format: str = ""
    mimeType: str = ""
    info: Description | None = None


class DiagnosticManagerLogHeader(VimObject):
    """Lines ``lineStart`` … ``lineEnd`` of a log (1-based; the server may return fewer lines than asked)."""

    lineStart: int = 0
    lineEnd: int = 0
    lineText: list[str] | None = None
