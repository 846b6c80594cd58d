"""Timing helpers and the record every figure becomes."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Sample:
    """Durations in seconds of repeated runs of one operation."""

    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        return percentile(self.seconds, 95)

    def __len__(self) -> int:
        return len(self.seconds)


def percentile(values: Iterable[float], pct: float) -> float:
    """The nearest-rank percentile: the smallest value with `pct`% of values at or below it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


async def time_each(
    items: Iterable[T], operation: Callable[[T], Awaitable[object]], warmup: int = 3
) -> Sample:
    """Time `operation(item)` once per item, after `warmup` untimed calls on the first items."""
    items = list(items)
    for item in items[:warmup]:
        await operation(item)
    durations = []
    for item in items:
        start = time.perf_counter()
        await operation(item)
        durations.append(time.perf_counter() - start)
    return Sample(tuple(durations))


def time_sync(operation: Callable[[], object], runs: int) -> Sample:
    """Time a blocking `operation` `runs` times."""
    durations = []
    for _ in range(runs):
        start = time.perf_counter()
        operation()
        durations.append(time.perf_counter() - start)
    return Sample(tuple(durations))


@dataclass(frozen=True)
class Figure:
    """One row of the results table."""

    name: str
    size: str  # archive size, or what was measured ("100-paper day")
    unit: str  # "ms", "s", "papers/s", "MB", "messages"
    median: float
    p95: float | None = None
    goal: str = "—"
    met: bool | None = None
    baseline_ratio: float | None = None
    note: str = ""
    runs: int = 1
