"""Which calls may be retried or replayed, by method name.

A read is retried on 502/503/504 and dropped connections and replayed after a re-login, and so is the creation
of a view, a collector or a filter (:data:`CREATE_METHODS`); a ``*_Task`` launch is
never sent twice by the client (a lost answer is :class:`~vsphere_nb.errors.LaunchStateUnknown`); a call tied to
the session that died is never replayed. :func:`call_policy` names the policy of a method; the batch engine's
own exactly-once logic rests on it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "READ_ONLY_METHODS",
    "CREATE_METHODS",
    "NO_REPLAY_METHODS",
    "Policy",
    "READ",
    "CREATE",
    "WRITE",
    "LAUNCH",
    "SESSION",
    "LOGIN",
    "PROBE",
    "POLICIES",
    "call_policy",
]


#: methods that only read: retried on 502/503/504/connection resets, replayed after a re-login.
#: ``ContinueRetrievePropertiesEx`` and ``ReadNextEvents`` advance a server-side cursor: a replay after the server
#: did process the first attempt can fail (token consumed) or skip a page of events — accepted, as both are far
#: rarer than a gateway 503 and the caller sees a fault rather than wrong data in the first case.
#: ``WaitForUpdatesEx`` is replayed with the same ``version``, which the server answers again.
READ_ONLY_METHODS = frozenset(
    {
        "RetrieveProperties",
        "RetrievePropertiesEx",
        "ContinueRetrievePropertiesEx",
        "WaitForUpdates",
        "WaitForUpdatesEx",
        "CheckForUpdates",
        "QueryEvents",
        "ReadNextEvents",
        "ReadPreviousEvents",
        "RetrieveServiceContent",
        "CurrentTime",
        "SessionIsActive",
        "FindByUuid",
        "FindByIp",
        "FindByDnsName",
        "FindByInventoryPath",
        "FindChild",
        "RetrieveArgumentDescription",
    }
)

#: methods that create a session-scoped helper object (a view, a collector, a filter) and change nothing else:
#: retried like a read. A retry after a lost answer can at worst leave a spare object behind, which the server
#: drops with the session; a second ``CreateFilter`` on one collector reports the same objects again, which
#: applying updates tolerates.
CREATE_METHODS = frozenset(
    {
        "CreateContainerView",
        "CreateListView",
        "CreateInventoryView",
        "CreateFilter",
        "CreatePropertyCollector",
        "CreateCollectorForEvents",
        "CreateCollectorForTasks",
    }
)

#: methods bound to the session itself: after ``NotAuthenticated`` a replay under a *new* session would answer
#: a different question (or log the new session out), so they fail with ``NotAuthenticatedError`` instead.
NO_REPLAY_METHODS = frozenset(
    {
        "Login",
        "LoginByToken",
        "LoginBySSPI",
        "LoginExtensionByCertificate",
        "LoginExtensionBySubjectName",
        "Logout",
        "TerminateSession",
        "ImpersonateUser",
        "CloneSession",
        "AcquireCloneTicket",
        "AcquireGenericServiceTicket",
        "AcquireLocalTicket",
        "SetLocale",
    }
)


@dataclass(frozen=True)
class Policy:
    """How one call is sent and what a ``NotAuthenticated`` answer leads to."""

    #: retried on 502/503/504 and dropped connections
    retry: bool
    #: on NotAuthenticated: "replay" (re-login, send again), "launch" (re-login, raise LaunchStateUnknown),
    #: "fail" (NotAuthenticatedError), "none" (no special meaning: the fault is raised as is, e.g. for Login)
    on_expiry: str


READ = Policy(retry=True, on_expiry="replay")
CREATE = Policy(retry=True, on_expiry="replay")
WRITE = Policy(retry=False, on_expiry="replay")
LAUNCH = Policy(retry=False, on_expiry="launch")
SESSION = Policy(retry=False, on_expiry="fail")
LOGIN = Policy(retry=True, on_expiry="none")  # a repeated Login at worst opens a spare session
PROBE = Policy(retry=True, on_expiry="fail")


def call_policy(method: str) -> str:
    """``"launch"``, ``"read"``, ``"create"``, ``"session"`` or ``"write"``: how :meth:`AsyncClient.invoke` treats
    ``method``."""
    if method.endswith("_Task"):
        return "launch"
    if method in READ_ONLY_METHODS:
        return "read"
    if method in CREATE_METHODS:
        return "create"
    if method in NO_REPLAY_METHODS:
        return "session"
    return "write"


POLICIES = {"launch": LAUNCH, "read": READ, "create": CREATE, "session": SESSION, "write": WRITE}
