"""How an engine lets go of a run it has not finished: :class:`Detach` ends its loop with a reason (the hosts still
under way keep the stage the journal gives them, and ``resume`` finishes them), and :class:`Reachability` is the
rule that detaches once vCenter has not answered for longer than ``limits.unreachable_timeout``."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Detach", "Reachability", "CLIENT_CLOSED"]

#: the reason given when the client was closed under a running engine
CLIENT_CLOSED = "the vCenter client was closed (kernel shutdown or vc.close())"


class Detach(Exception):
    """End the run's loop without outcomes for the hosts under way (see :mod:`vsphere_nb.batch.engine`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Reachability:
    """Whether vCenter answers: every answer resets the clock (:meth:`reachable`); a failure starts it or, once it
    has run longer than ``timeout`` seconds, detaches (:meth:`unreachable`). A closed client detaches at once."""

    def __init__(
        self, vcenter: str, timeout: float, is_closed: Callable[[], bool], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.vcenter = vcenter
        self.timeout = timeout
        self._is_closed = is_closed
        self._clock = clock
        self._since: float | None = None

    def reachable(self) -> None:
        self._since = None

    def unreachable(self, exc: BaseException) -> None:
        """vCenter did not answer (``exc`` says how); raises :class:`Detach` when that has lasted too long."""
        if self._is_closed():
            raise Detach(CLIENT_CLOSED)
        now = self._clock()
        if self._since is None:
            self._since = now
        elif now - self._since > self.timeout:
            raise Detach(f"vCenter {self.vcenter} unreachable for more than {self.timeout:.0f} s ({exc})")
