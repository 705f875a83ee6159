"""The measures of a case set (the library or the held-out set): how many failing hosts get the right cause, how
many ``high`` answers are right, how many healthy hosts are given a cause, and every miss with what the diagnosis
saw. Used by the tests and by ``benchmarks/diagnosis.py``, so both count the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

Key = tuple[str, str]  # (vCenter, host moId)


@dataclass(frozen=True)
class Answer:
    cause: str
    confidence: str
    evidence: tuple[str, ...] = ()


@dataclass
class Measures:
    failing: int = 0
    right: int = 0
    high: int = 0
    high_right: int = 0
    healthy_given_a_cause: list[tuple[str, str, str]] = field(default_factory=list)  # (case, moId, cause)
    misses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accuracy(self) -> float | None:
        return self.right / self.failing if self.failing else None

    @property
    def high_precision(self) -> float | None:
        return self.high_right / self.high if self.high else None

    def meets_targets(self) -> bool:
        """≥ 95 % of failing hosts right, ``high`` answers ≥ 98 % right, no healthy host given a cause."""
        return (
            (self.accuracy or 0) >= 0.95
            and self.high > 0
            and (self.high_precision or 0) >= 0.98
            and not self.healthy_given_a_cause
        )

    def report(self) -> str:
        """Every miss on its own lines: case, expected, got, confidence and all the evidence."""
        lines = [
            f"{self.right}/{self.failing} failing hosts right ({_pct(self.accuracy)}); high-confidence "
            f"{self.high_right}/{self.high} right ({_pct(self.high_precision)}); healthy hosts given a cause: "
            f"{len(self.healthy_given_a_cause)}"
        ]
        for miss in self.misses:
            lines.append(
                f"- {miss['case']} [{miss['vcenter']} {miss['host_moid']}]: expected {miss['expected']}, "
                f"got {miss['got']} ({miss['confidence'] or 'no row'})"
            )
            lines += [f"    evidence: {e}" for e in miss["evidence"]] or ["    evidence: (none)"]
        return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def answers(hosts: pd.DataFrame, vcenter: str | None = None) -> dict[Key, Answer]:
    """``Diagnosis.hosts`` as answers keyed by (vCenter, moId); ``vcenter`` renames the vCenter column's value
    (a simulator's URL host back to the case set's vCenter name)."""
    out: dict[Key, Answer] = {}
    for r in hosts.itertuples():
        evidence = (
            r.evidence if isinstance(r.evidence, (list, tuple)) else ([] if pd.isna(r.evidence) else [r.evidence])
        )
        out[(vcenter or str(r.vcenter), str(r.host_moid))] = Answer(
            str(r.cause), str(r.confidence), tuple(str(e) for e in evidence)
        )
    return out


def measure(expected: dict[Key, tuple[str, str]], got: dict[Key, Answer]) -> Measures:
    """``expected``: key → (case id, cause or ``none``); ``got``: the diagnosis's answers (a host it did not
    diagnose reads as ``none``)."""
    m = Measures()
    for key, (case, expect) in expected.items():
        answer = got.get(key)
        cause = answer.cause if answer is not None else "none"
        if expect != "none":
            m.failing += 1
            m.right += cause == expect
            if answer is not None and answer.confidence == "high":
                m.high += 1
                m.high_right += cause == expect
        elif cause != "none":
            m.healthy_given_a_cause.append((case, key[1], cause))
        if cause != expect:
            m.misses.append(
                {
                    "case": case,
                    "vcenter": key[0],
                    "host_moid": key[1],
                    "expected": expect,
                    "got": cause,
                    "confidence": answer.confidence if answer is not None else "",
                    "evidence": list(answer.evidence) if answer is not None else [],
                }
            )
    return m
