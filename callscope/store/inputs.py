"""The optional CSV inputs of the store: surveys (call id, CSAT, NPS) and events (date, label, kind).

Every problem is one line naming the file and the line, e.g.
``surveys.csv: line 7: csat '6' is outside 1..5``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

from callscope.csvrows import csv_rows
from callscope.errors import InputError


def _score(path: Path, line: int, name: str, text: str, low: float, high: float) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{path}: line {line}: {name} {text!r} is not a number") from None
    if not low <= value <= high:
        raise InputError(f"{path}: line {line}: {name} {text!r} is outside {low:g}..{high:g}")
    return value


def read_surveys(path: Path, warn: Callable[[str], None] | None = None) -> list[dict]:
    """Rows `call_id, csat (1..5), nps (0..10)`; each row needs a call id and at least one score.
    Columns it does not use are passed to `warn`."""
    rows: dict[str, dict] = {}
    first_line: dict[str, int] = {}
    for line, values in csv_rows(path, ("call_id",), ("csat", "nps"), ("call_id", "csat", "nps"), warn):
        call_id = values.get("call_id", "")
        if not call_id:
            raise InputError(f"{path}: line {line}: call_id is empty")
        if call_id in rows:
            raise InputError(f"{path}: line {line}: call_id {call_id!r} repeated (first on line {first_line[call_id]})")
        csat = _score(path, line, "csat", values.get("csat", ""), 1, 5)
        nps = _score(path, line, "nps", values.get("nps", ""), 0, 10)
        if csat is None and nps is None:
            raise InputError(f"{path}: line {line}: neither csat nor nps given")
        rows[call_id] = {"call_id": call_id, "csat": csat, "nps": nps}
        first_line[call_id] = line
    return list(rows.values())


def read_events(path: Path, warn: Callable[[str], None] | None = None) -> list[dict]:
    """Rows `date (YYYY-MM-DD), label, kind` (kind optional: campaign, price_change, launch, outage...).
    Columns it does not use are passed to `warn`."""
    rows = []
    for line, values in csv_rows(path, ("date", "label"), known=("date", "label", "kind"), warn=warn):
        try:
            day = date.fromisoformat(values["date"])
        except ValueError:
            raise InputError(f"{path}: line {line}: date {values['date']!r} is not YYYY-MM-DD") from None
        if not values["label"]:
            raise InputError(f"{path}: line {line}: label is empty")
        rows.append({"event_date": day, "label": values["label"], "kind": values.get("kind") or None})
    return rows
