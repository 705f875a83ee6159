"""The plan of ``vsphere-nb reconfigure`` as an operator reads it before saying yes.

Three parts, each short whatever the fleet size: one sentence (how many hosts in how many clusters, canaries,
skipped), the limits in words (caps, canary gate, failure budget, timeouts), and three small tables — hosts per
cluster, the first hosts in launch order, skipped hosts grouped by reason with a few examples. The whole plan, one
row per host, is what ``-o json|csv|FILE`` writes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..vocabulary import HEALTHY_DAS_STATES, RECONFIGURE_FIXES_WORDS
from ._terminal import safe_text, styled

__all__ = ["limits_in_words", "plan_sentence", "print_plan"]

#: rows of the launch-order and per-cluster tables before "… and N more"
SHOW_HOSTS = 20
SHOW_CLUSTERS = 20


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def limits_in_words(limits: Any, planned: int | None = None) -> list[str]:
    """:meth:`~vsphere_nb.batch.BatchLimits.in_words` (one definition for the CLI, the panel and the report)."""
    return list(limits.in_words(planned))


def plan_sentence(plan: Any) -> str:
    launch = plan.plan.launch
    clusters = len({h.cluster_key for h in launch})
    canaries = sum(1 for h in launch if h.canary)
    text = f"Plan: launch {_plural(len(launch), 'host')} in {_plural(clusters, 'cluster')}"
    if canaries:
        text += f" ({canaries} {'canary' if canaries == 1 else 'canaries'} first)"
    return text + f"; skip {len(plan.plan.skipped)}."


def _per_cluster(plan: Any) -> tuple[Table, str | None]:
    launch: Counter[tuple[str, str]] = Counter()
    unhealthy: Counter[tuple[str, str]] = Counter()
    skipped: Counter[tuple[str, str]] = Counter()
    for h in plan.plan.launch:
        launch[(h.vcenter, h.cluster)] += 1
        if h.das_state not in HEALTHY_DAS_STATES:
            unhealthy[(h.vcenter, h.cluster)] += 1
    for s in plan.plan.skipped:
        skipped[(s.vcenter, s.cluster or "")] += 1
    keys = sorted(set(launch) | set(skipped), key=lambda k: (-launch[k], k))
    vcenters = len({k[0] for k in keys})
    table = Table(box=None, header_style="bold", pad_edge=False, title="Hosts per cluster", title_justify="left")
    if vcenters > 1:
        table.add_column("vcenter", no_wrap=True)
    table.add_column("cluster", no_wrap=True, overflow="ellipsis")
    table.add_column("launch", justify="right")
    table.add_column("HA unhealthy now", justify="right")
    table.add_column("skip", justify="right")
    for key in keys[:SHOW_CLUSTERS]:
        cells = [
            safe_text(key[1]) or "(no cluster)",
            str(launch[key]),
            str(unhealthy[key] or ""),
            str(skipped[key] or ""),
        ]
        table.add_row(*([safe_text(key[0])] if vcenters > 1 else []), *cells)
    if len(keys) > SHOW_CLUSTERS:
        return table, f"{SHOW_CLUSTERS} of {len(keys)} clusters shown (most hosts to launch first)"
    return table, None


def _launch_order(plan: Any) -> tuple[Table, str | None]:
    launch = plan.plan.launch
    # one space between columns: six of them share 120 columns with a 30-character host name
    table = Table(
        box=None, header_style="bold", pad_edge=False, padding=(0, 1, 0, 0), title="Launch order", title_justify="left"
    )
    table.add_column("#", justify="right")
    shown = launch[:SHOW_HOSTS]
    # a host's name is what the operator looks for: it keeps its width (up to 40), the other columns give way
    longest = max((len(safe_text(h.host)) for h in shown), default=4)
    table.add_column("cluster", no_wrap=True, overflow="ellipsis", max_width=16)
    table.add_column("host", no_wrap=True, overflow="ellipsis", min_width=min(40, longest))
    table.add_column("HA state now", no_wrap=True, overflow="ellipsis")
    diagnosed = bool(getattr(plan.plan, "diagnosed", False))
    if diagnosed:
        table.add_column("diagnosis", no_wrap=True, overflow="ellipsis", max_width=36)
    table.add_column("", no_wrap=True, min_width=len("canary"))
    for h in shown:
        cells: list[Any] = [
            str(h.order + 1 if isinstance(h.order, int) else ""),
            safe_text(h.cluster),
            safe_text(h.host),
            styled("das_state", safe_text(h.das_state or "")),
        ]
        if diagnosed:
            cells.append(_diagnosis_cell(h))
        cells.append(Text("canary", style="bold") if h.canary else "")
        table.add_row(*cells)
    if len(launch) > SHOW_HOSTS:
        return table, f"first {SHOW_HOSTS} of {len(launch)} shown (the whole plan: --dry-run -o json, csv or a FILE)"
    return table, None


def _diagnosis_cell(h: Any) -> Text:
    """One cell: the flag when the host is flagged ("fix first: <cause>", "healthy: nothing to fix"), else the
    cause and whether a reconfigure fixes it."""
    if h.flag:
        return Text(safe_text(str(h.flag)), style="bold")
    if not h.cause:
        return Text("")
    fixes = RECONFIGURE_FIXES_WORDS[h.reconfigure_fixes]
    return Text(f"{safe_text(h.cause)}: {fixes}")


def _skipped(plan: Any) -> Table:
    by_reason: dict[str, list[str]] = defaultdict(list)
    for s in plan.plan.skipped:
        by_reason[str(s.reason)].append(str(s.host))
    table = Table(box=None, header_style="bold", pad_edge=False, title="Skipped", title_justify="left")
    table.add_column("why", overflow="fold", ratio=3)
    table.add_column("hosts", justify="right")
    table.add_column("for example", overflow="fold", ratio=2)
    for reason, hosts in sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0])):
        examples = ", ".join(safe_text(h) for h in hosts[:3]) + (", ..." if len(hosts) > 3 else "")
        table.add_row(safe_text(reason), str(len(hosts)), examples)
    return table


def _print(out: Console, table: Table, note: str | None) -> None:
    out.print(table)
    if note:
        out.print(Text(note, style="dim"))


def print_plan(plan: Any, out: Console) -> None:
    """The plan: a sentence, the limits in words, hosts per cluster, launch order, skipped hosts by reason."""
    out.print(Text(plan_sentence(plan), style="bold"))
    out.print("Limits:")
    for line in limits_in_words(plan.limits, len(plan.plan.launch)):
        out.print(f"  - {line}")
    if plan.plan.launch or plan.plan.skipped:
        out.print()
        _print(out, *_per_cluster(plan))
    if plan.plan.launch:
        out.print()
        _print(out, *_launch_order(plan))
    flagged = getattr(plan.plan, "flagged", ())
    if flagged:
        kinds = Counter(str(h.flag) for h in flagged)
        what = ", ".join(f"{k} ×{n}" for k, n in kinds.most_common())
        out.print()
        out.print(
            Text(
                f"Warning: {len(flagged)} planned host(s) will not be helped by a reconfigure ({safe_text(what)}); "
                "they are launched only with --include-flagged (or a second confirmation).",
                style="bold",
            ),
            soft_wrap=False,  # a sentence: wrapped at word boundaries to the terminal's width
        )
    if plan.plan.skipped:
        out.print()
        out.print(_skipped(plan))
