"""The HA event history of a window: :func:`read_history` → the ``events`` frame shape plus ``category``.

One ``EventHistoryCollector`` per call (``CreateCollectorForEvents`` with an entity + time + event-type filter),
read forward with ``ReadNextEvents`` in large pages until empty, then ``DestroyCollector`` — never one query per
host. The requests are ``CurrentTime`` (the window is measured on the server's clock), the server's event type list
(``EventManager.description``, only for ``types="ha"``), the collector, ``ceil(events / page) + 1`` reads and
the destroy.

Entity: one cluster (or one host) given as a frame with its moId → that entity (``recursion: all``); anything
else → the root folder, and rows are kept by host / cluster afterwards (names need no inventory pass).
Reading stops at ``max_events`` with a warning (and ``frame.attrs["truncated"] = True``): narrow the window,
the clusters or the types.

The frame has the run's events columns (``source`` = ``history``; ``run_id``/``task_moid`` empty) and
``category``, so ``pd.concat([history, run.events])`` works.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from . import wire
from .diagnosis.rules import parse_duration
from .errors import ConfigError, ServerFault, VsphereError
from .property import destroy_quietly
from .wire.categories import HA_HISTORY_TYPES
from .wire.event_rows import event_rows

__all__ = ["read_history", "history_frame", "resolve_window", "HISTORY_PAGE", "DEFAULT_MAX_EVENTS"]

logger = logging.getLogger("vsphere_nb.history")

#: events asked for per ``ReadNextEvents``; a server that refuses it (``InvalidArgument``) is read with 1000
HISTORY_PAGE = 5000
_FALLBACK_PAGE = 1000
DEFAULT_MAX_EVENTS = 1_000_000


def _utc(value: Any, what: str) -> datetime:
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ConfigError(f"{what}: not a time: {value!r}")
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.tz_convert("UTC").to_pydatetime()


def resolve_window(since: Any, until: Any, now: datetime) -> tuple[datetime, datetime | None]:
    """``since``/``until`` as UTC datetimes: a duration (``"24h"``, ``"7d"``, a ``timedelta``) counts back from
    ``now`` (the server's clock); a datetime or ISO text is taken as is (naive = UTC)."""

    def one(value: Any, what: str) -> datetime:
        try:
            return now - parse_duration(value).to_pytimedelta()
        except (ValueError, TypeError):
            pass
        if isinstance(value, str) and value[-1:].isalpha() and value[:-1].strip().replace(".", "").isdigit():
            raise ConfigError(f"{what}: bad duration {value!r} (use e.g. 30m, 24h, 7d)")
        try:
            return _utc(value, what)
        except (ValueError, TypeError):
            raise ConfigError(f"{what}: expected a duration (24h, 7d) or a date/time, not {value!r}") from None

    begin = one(since, "since")
    end = one(until, "until") if until is not None else None
    if end is not None and end <= begin:
        raise ConfigError("until must be after since")
    return begin, end


def _names_and_ids(value: Any, name_col: str, id_col: str, what: str) -> tuple[set[str], set[str]]:
    """Names and moIds out of a frame, a name, or a list of names."""
    if value is None:
        return set(), set()
    if isinstance(value, pd.DataFrame):
        ids = set(value[id_col].dropna().astype(str)) if id_col in value.columns else set()
        names = set(value[name_col].dropna().astype(str)) if name_col in value.columns and not ids else set()
        if not ids and not names:
            raise ConfigError(f"{what}: the frame has neither {id_col!r} nor {name_col!r}")
        return names, ids
    if isinstance(value, str):
        return {value}, set()
    if isinstance(value, Iterable):
        items = [str(v) for v in value]
        return set(items), set()
    raise ConfigError(f"{what} must be names or a frame, not {type(value).__name__}")


async def server_now(client: Any) -> datetime:
    """The server's clock (``CurrentTime``), else this machine's."""
    try:
        value = await client.invoke(wire.MoRef("ServiceInstance", "ServiceInstance"), "CurrentTime")
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return _utc(value, "server time")
    except (VsphereError, ValueError, TypeError):
        return datetime.now(timezone.utc)


#: the ``key`` vCenter gives ``EventEx``/``ExtendedEvent`` types in ``EventManager.description.eventInfo``
_EXTENDED_KEYS = frozenset({"EventEx", "ExtendedEvent"})


def described_type_id(detail: Any) -> str:
    """The event type id of one ``EventDescriptionEventDetail``: its ``key`` for standard events; for
    ``EventEx``/``ExtendedEvent`` types (``key`` is the kind) the text of ``fullFormat`` before the first ``|``."""
    key = str(getattr(detail, "key", "") or "")
    if key in _EXTENDED_KEYS:
        full = str(getattr(detail, "fullFormat", "") or "")
        head = full.split("|", 1)[0].strip()
        return head if "|" in full and head else key
    return key


async def ha_event_types(client: Any) -> list[str]:
    """The HA event types this server describes (``EventManager.description``, in either shape: see
    :func:`described_type_id`), plus the known ones (also what a batch run collects, with ``TaskEvent``)."""
    try:
        desc = await client.get(client.content.eventManager, "description")
        keys = [described_type_id(d) for d in getattr(desc, "eventInfo", None) or []]
    except VsphereError:
        keys = []
    wanted = {k for k in keys if k not in _EXTENDED_KEYS and (".HA." in k or "Das" in k or k in HA_HISTORY_TYPES)}
    return sorted(wanted | set(HA_HISTORY_TYPES))


async def read_history(
    client: Any,
    *,
    hosts: Any = None,
    clusters: Any = None,
    since: Any = "24h",
    until: Any = None,
    types: Any = "ha",
    max_events: int = DEFAULT_MAX_EVENTS,
    progress: Callable[[int], None] | None = None,
    vcenter: str | None = None,
) -> pd.DataFrame:
    """The HA event history of ``client``'s vCenter as a frame (see the module doc)."""
    from .client import vcenter_name

    if client.content.eventManager is None:
        raise ConfigError("this server has no EventManager (an ESXi host?): no event history")
    if not isinstance(max_events, int) or max_events < 1:
        raise ConfigError("max_events must be a positive number")
    host_names, host_ids = _names_and_ids(hosts, "host", "host_moid", "hosts")
    cluster_names, cluster_ids = _names_and_ids(clusters, "cluster", "cluster_moid", "clusters")
    now = await server_now(client)
    begin, end = resolve_window(since, until, now)
    if types == "ha":
        type_ids: list[str] | None = await ha_event_types(client)
    elif types == "all" or types is None:
        type_ids = None
    elif isinstance(types, str):
        type_ids = [types]
    elif isinstance(types, Iterable):
        type_ids = [str(t) for t in types]
        if not type_ids:
            raise ConfigError("types: an empty list matches nothing")
    else:
        raise ConfigError(f"types must be 'ha', 'all' or a list of event types, not {types!r}")
    if len(cluster_ids) == 1 and not host_ids and not host_names and not cluster_names:
        entity = wire.MoRef("ClusterComputeResource", next(iter(cluster_ids)))
    elif len(host_ids) == 1 and not cluster_ids and not cluster_names and not host_names:
        entity = wire.MoRef("HostSystem", next(iter(host_ids)))
    else:
        entity = client.content.rootFolder
    spec = wire.EventFilterSpec(
        entity=wire.EventFilterSpecByEntity(entity=entity, recursion="all"),
        time=wire.EventFilterSpecByTime(beginTime=begin, endTime=end),
        eventTypeId=type_ids,
    )
    collector = wire.decode_as(
        await client.invoke(client.content.eventManager, "CreateCollectorForEvents", filter=spec),
        wire.ManagedObjectReference,
    )
    pages: list[list[Any]] = []
    total = 0
    truncated = False
    page = HISTORY_PAGE
    try:
        while True:
            try:
                batch = wire.unbox_list(await client.invoke_json(collector, "ReadNextEvents", maxCount=page))
            except ServerFault as exc:
                if exc.is_a("InvalidArgument") and page != _FALLBACK_PAGE:
                    page = _FALLBACK_PAGE  # this server caps pages lower
                    continue
                raise
            if not batch:
                break
            pages.append(batch)
            total += len(batch)
            if progress is not None:
                progress(total)
            elif len(pages) % 20 == 0:
                logger.info("event history: %d events read", total)
            if total >= max_events:
                truncated = True
                break
    finally:
        await destroy_quietly(client, collector, "DestroyCollector")
    events = [e for p in pages for e in p]
    if truncated:
        events = events[:max_events]
        warnings.warn(
            f"event history capped at {max_events:,} events (window {begin:%Y-%m-%d %H:%M} to "
            f"{(end or now):%Y-%m-%d %H:%M} UTC): narrow 'since', the clusters or the types, or raise max_events",
            stacklevel=3,
        )
    cols = event_rows(events)
    keep = _keep(cols, host_names, host_ids, cluster_names, cluster_ids)
    if keep is not None:
        cols = {k: [v[j] for j in keep] for k, v in cols.items()}
    frame = _frame(cols, vcenter or vcenter_name(client))
    frame.attrs["truncated"] = truncated
    # ISO text, so the attrs survive to_parquet (which stores them as JSON)
    frame.attrs["window"] = (pd.Timestamp(begin).isoformat(), pd.Timestamp(end or now).isoformat())
    return frame


def _keep(
    cols: dict[str, list[Any]], host_names: set[str], host_ids: set[str], cluster_names: set[str], cluster_ids: set[str]
) -> list[int] | None:
    """Positions of the rows of the wanted hosts / clusters (``None``: keep all)."""
    if not (host_names or host_ids or cluster_names or cluster_ids):
        return None
    return [
        j
        for j, (h, hid, c, cid) in enumerate(
            zip(cols["host"], cols["host_moid"], cols["cluster"], cols["cluster_moid"])
        )
        if h in host_names or hid in host_ids or c in cluster_names or cid in cluster_ids
    ]


def history_frame(events: list[Any], vcenter: str) -> pd.DataFrame:
    """Event wire dicts → the events frame (``source`` ``history``) with ``category``."""
    return _frame(event_rows(events), vcenter)


def _frame(cols: dict[str, list[Any]], vcenter: str) -> pd.DataFrame:
    from .batch.frames import coerce

    n = len(cols["event_type"])
    data: dict[str, Any] = {
        "run_id": [None] * n,
        "vcenter": [vcenter] * n,
        "cluster": cols["cluster"],
        "host": cols["host"],
        "host_moid": cols["host_moid"],
        "task_moid": [None] * n,
        "source": ["history"] * n,
        **{k: cols[k] for k in ("event_key", "chain_id", "event_type", "event_type_id", "created_time")},
        **{k: cols[k] for k in ("user_name", "severity", "message", "category")},
    }
    frame = coerce(pd.DataFrame(data), "events")
    # oldest first: a collector pages in key order, and events can be logged with an earlier creation time
    if len(frame) and not frame["created_time"].is_monotonic_increasing:
        frame = frame.sort_values("created_time", kind="stable", na_position="first").reset_index(drop=True)
    return frame
