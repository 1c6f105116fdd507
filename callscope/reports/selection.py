"""The calls a report covers: the store opened read-only, narrowed by date, queue, team and channel.

`open_selection` returns an in-memory DuckDB connection whose temporary views carry the
store's table and view names (`conversations`, `utterances`, ..., `journeys`) restricted to the
selected calls, so every query (ours, or callscope.corpus's) sees only the selection. Unless
`keep_pii` is set, text stored unredacted (a run with --keep-pii) is redacted on the way out and
customer ids are hashed (callscope/pii/call_ids.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from callscope.errors import InputError
from callscope.pii.call_ids import private_customer_id
from callscope.redact import redact_text
from callscope.store import store_error
from callscope.store.database import ADDED_COLUMNS
from callscope.store.views import VIEWS

CALL_TABLES = ("utterances", "reasons", "aspects", "signals", "metrics", "surveys")
TEXT_COLUMNS = {"utterances": ("text",), "aspects": ("text",), "signals": ("text", "evidence")}


@dataclass(frozen=True)
class Filters:
    """Which calls a report covers; None means no restriction. Dates are inclusive."""

    date_from: date | None = None
    date_to: date | None = None
    queue: str | None = None
    team: str | None = None
    channel: str | None = None          # voice | chat | email | survey

    def describe(self) -> str:
        """Human-readable summary, e.g. 'from 2024-05-01, team Blue'; '' when unfiltered."""
        parts = []
        if self.date_from:
            parts.append(f"from {self.date_from.isoformat()}")
        if self.date_to:
            parts.append(f"to {self.date_to.isoformat()}")
        if self.queue is not None:
            parts.append(f"queue {self.queue}")
        if self.team is not None:
            parts.append(f"team {self.team}")
        if self.channel is not None:
            parts.append(f"channel {self.channel}")
        return ", ".join(parts)

    def where(self) -> str:
        """SQL condition on `conversations` (values quoted, safe to inline in a view)."""
        conditions = ["TRUE"]
        if self.date_from:
            conditions.append(f"call_date >= DATE '{self.date_from.isoformat()}'")
        if self.date_to:
            conditions.append(f"call_date <= DATE '{self.date_to.isoformat()}'")
        if self.queue is not None:
            conditions.append(f"queue = {_quote(self.queue)}")
        if self.team is not None:
            conditions.append(f"team = {_quote(self.team)}")
        if self.channel is not None:
            conditions.append(f"coalesce(channel, 'voice') = {_quote(self.channel)}")
        return " AND ".join(conditions)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute("SELECT column_name FROM duckdb_columns() WHERE database_name = 'store' "
                       "AND table_name = ? ORDER BY column_index", [table]).fetchall()
    return [row[0] for row in rows]


def _redacting_select(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """SELECT of `table` whose text columns are redacted for calls stored unredacted."""
    texts = TEXT_COLUMNS.get(table, ())
    columns = [f"CASE WHEN c.redacted IS NOT FALSE THEN t.{name} ELSE redact_pii(t.{name}) END AS {name}"
               if name in texts else f"t.{name}" for name in _columns(con, table)]
    return (f"SELECT {', '.join(columns)} FROM store.{table} t "
            f"JOIN conversations c USING (call_id)")


def open_selection(db_path: Path, filters: Filters = Filters(), keep_pii: bool = False) -> duckdb.DuckDBPyConnection:
    """Read-only connection to the selected calls of the store at `db_path`."""
    db_path = Path(db_path)
    if not db_path.is_file():
        raise InputError(f"{db_path}: no callscope store found (run `callscope run` first)")
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {_quote(str(db_path))} AS store (READ_ONLY)")
    except duckdb.Error as exc:
        con.close()
        raise store_error(db_path, exc) from None
    con.create_function("redact_pii", redact_text, ["VARCHAR"], "VARCHAR")
    con.create_function("private_customer_id", private_customer_id, ["VARCHAR"], "VARCHAR")
    hashed = "" if keep_pii else " REPLACE (private_customer_id(customer_id) AS customer_id)"
    held = _columns(con, "conversations")
    missing = "".join(f", NULL::{kind} AS {name}" for table, name, kind in ADDED_COLUMNS
                      if table == "conversations" and name not in held)      # a store an older version wrote
    con.execute(f"CREATE TEMP VIEW conversations AS SELECT *{hashed}{missing} FROM store.conversations "
                f"WHERE {filters.where()}")
    for table in CALL_TABLES:
        if keep_pii or table not in TEXT_COLUMNS:
            con.execute(f"CREATE TEMP VIEW {table} AS SELECT t.* FROM store.{table} t "
                        f"SEMI JOIN conversations c ON t.call_id = c.call_id")
        else:
            con.execute(f"CREATE TEMP VIEW {table} AS {_redacting_select(con, table)}")
    con.execute("CREATE TEMP VIEW topics AS SELECT * FROM store.topics" if keep_pii else
                "CREATE TEMP VIEW topics AS SELECT * REPLACE (redact_pii(label) AS label, redact_pii(keywords) AS "
                "keywords, redact_pii(representative) AS representative) FROM store.topics")
    con.execute("CREATE TEMP VIEW events AS SELECT * FROM store.events")
    con.execute("CREATE TEMP VIEW runs AS SELECT * FROM store.runs")
    for name, sql in VIEWS.items():
        con.execute(f"CREATE TEMP VIEW {name} AS {sql}")
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict = ()) -> list[dict]:
    """Query result as a list of dicts keyed by column name (params positional or named)."""
    cursor = con.execute(sql, params if isinstance(params, dict) else list(params))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
