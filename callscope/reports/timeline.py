"""Time axes of the report charts: the period (day or week), the periods covered, event positions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb

from callscope.corpus.trends import period_start

DAILY_UP_TO_DAYS = 31


@dataclass(frozen=True)
class Timeline:
    """Contiguous periods (their first days) covering the selected calls."""

    period: str          # "day" | "week"
    starts: list[date]

    @property
    def days(self) -> int:
        return 1 if self.period == "day" else 7

    def labels(self) -> list[str]:
        return [d.strftime("%d %b") for d in self.starts]

    def index(self, day: date) -> float:
        """Position of a day on the axis, in periods from the first one (fractional within a week)."""
        return (day - self.starts[0]).days / self.days if self.starts else 0.0

    def covers(self, day: date) -> bool:
        return bool(self.starts) and self.starts[0] <= day < self.starts[-1] + timedelta(days=self.days)


def timeline(con: duckdb.DuckDBPyConnection) -> Timeline:
    """Days when the calls span at most a month, else ISO weeks starting on Monday."""
    first, last = con.execute("SELECT min(call_date), max(call_date) FROM conversations").fetchone()
    if first is None:
        return Timeline("day", [])
    period = "day" if (last - first).days < DAILY_UP_TO_DAYS else "week"
    first = period_start(first, period)
    step = timedelta(days=1 if period == "day" else 7)
    starts = []
    while first <= last:
        starts.append(first)
        first += step
    return Timeline(period, starts)


def series(volume_rows: list[dict], axis: Timeline, value: str = "count") -> dict:
    """callscope.corpus.trends.volumes rows as one list per key, aligned on the axis (0 where absent)."""
    position = {start: i for i, start in enumerate(axis.starts)}
    found: dict = {}
    for row in volume_rows:
        if row["period"] in position:
            found.setdefault(row["key"], [0] * len(axis.starts))[position[row["period"]]] += row[value]
    return found
