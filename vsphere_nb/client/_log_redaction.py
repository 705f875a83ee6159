"""Secrets kept out of logs: a filter that rewrites each record of the HTTP stack's loggers (httpx, httpcore —
which logs raw response headers, session token included — and vsphere-nb's own) with
:func:`~vsphere_nb.client.config.redact` applied. The HTTP layer installs it when it loads."""

from __future__ import annotations

import logging

from .config import redact

__all__ = ["RedactingFilter", "install_log_redaction"]


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with :func:`~vsphere_nb.client.config.redact` applied.

    A filter on a logger only sees records created on that very logger, so it is installed on each
    logger that may carry headers: ``httpx``, every ``httpcore.*`` logger, and vsphere-nb's own.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is not ours to fix
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


_REDACTED_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.connection",
    "httpcore.proxy",
    "httpcore.socks",
    "vsphere_nb",
    "vsphere_nb.transport",
    "vsphere_nb.client",
    "vsphere_nb.sync",
    "vsphere_nb.property",
    "vsphere_nb.config",
)
_FILTER = RedactingFilter()


def install_log_redaction() -> None:
    """Attach the redacting filter to the HTTP stack's loggers (idempotent)."""
    for name in _REDACTED_LOGGERS:
        log = logging.getLogger(name)
        if _FILTER not in log.filters:
            log.addFilter(_FILTER)
