"""CSV cells a spreadsheet would not run as formulas (OWASP "CSV injection").

A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading single
quote, so `=HYPERLINK(...)` from call metadata arrives as text. Numbers are never changed: a
numeric value, or a text cell that is a plain number ("-3.5"), cannot carry a formula.
"""

from __future__ import annotations

import re

TRIGGERS = "=+-@\t\r"
NUMBER = r"^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$"
_TRIGGER = re.compile(f"^[{re.escape(TRIGGERS)}]")
_NUMBER = re.compile(NUMBER)


def safe_cell(value):
    """`value` as a CSV cell: text that would start a formula gets a leading `'`; anything else as is."""
    if isinstance(value, str) and _TRIGGER.match(value) and not _NUMBER.match(value):
        return "'" + value
    return value


def safe_cell_sql(column: str) -> str:
    """DuckDB expression of `safe_cell` for a VARCHAR column (a quoted identifier)."""
    pattern = "^[" + TRIGGERS.replace("-", "\\-") + "]"
    return (f"CASE WHEN regexp_matches({column}, '{pattern}') AND NOT regexp_matches({column}, '{NUMBER}') "
            f"THEN '''' || {column} ELSE {column} END")
