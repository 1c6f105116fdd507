"""The DuckDB store of an output folder (OUT/callscope.duckdb): write calls, runs and CSV inputs.

A call's rows in every per-call table are replaced together in one transaction, so
reprocessing a call never duplicates it and a killed process leaves either the old
rows or the new ones, never a part. DuckDB allows one writing process at a time;
within it, use the store from one thread.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from callscope import __version__
from callscope.conversation import Conversation
from callscope.errors import CallscopeError, OutputError, StoreDamaged
from callscope.files import private_files
from callscope.metadata import CallMetadata
from callscope.store.export import export_tables
from callscope.store.inputs import read_events, read_surveys
from callscope.store.rows import CALL_TABLES, call_rows
from callscope.store.views import VIEWS

STORE_FILE = "callscope.duckdb"
SCHEMA = Path(__file__).with_name("schema.sql")
# (table, column, type) added after the table was first released: stores written before lack them until
# a writable open adds them (schema.sql); read-only readers see them as NULL (reports/selection.py).
ADDED_COLUMNS = re.findall(r"ALTER TABLE (\w+) ADD COLUMN IF NOT EXISTS (\w+) (\w+);",
                           SCHEMA.read_text(encoding="utf-8"))
TABLES = ("runs", "conversations", "utterances", "reasons", "aspects", "signals", "metrics",
          "topics", "events", "surveys")
METADATA_COLUMNS = {"call_time": "TIMESTAMP", "call_date": "DATE", "queue": "VARCHAR", "agent": "VARCHAR",
                    "team": "VARCHAR", "customer_id": "VARCHAR", "channel": "VARCHAR"}


def store_path(path: str | Path) -> Path:
    """The database file: `path` itself when it ends in .duckdb, else `path`/callscope.duckdb."""
    path = Path(path)
    return path if path.suffix == ".duckdb" else path / STORE_FILE


def connect(path: str | Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to the store in `path` (an output folder or the .duckdb file).

    Read-only by default; fails with a one-line CallscopeError when there is no store
    yet or when a running `callscope run` holds it for writing.
    """
    file = store_path(path)
    if read_only and not file.exists():
        raise CallscopeError(f"{file}: no store here yet (`callscope run ... --out {file.parent}` creates it)")
    if not read_only:
        file.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(file), read_only=read_only)
    except duckdb.Error as exc:
        raise store_error(file, exc) from None


# What DuckDB raises for a file it cannot read as a database: short reads, checksum failures
# (plain duckdb.Error), undecodable blocks. Lock conflicts are IOExceptions too: `store_error`
# tells them apart by testing the lock itself, not by the wording of the message.
DAMAGE = (duckdb.IOException, duckdb.SerializationException, duckdb.InternalException, duckdb.FatalException)


def held_by_another(file: Path) -> bool:
    """True when another process holds a lock on the store file (a run writing, a report reading).

    Call it only with no connection of this process open on the file: closing the probe's
    descriptor drops this process's own locks on it.
    """
    try:
        fd = os.open(file, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


def _first_failure(exc: BaseException) -> BaseException:
    """The earliest DuckDB error among `exc` and the exceptions it was raised while handling."""
    first, seen = exc, exc.__context__
    while seen is not None:
        if isinstance(seen, duckdb.Error):
            first = seen
        seen = seen.__context__
    return first


def store_error(file: Path, exc: duckdb.Error) -> CallscopeError:
    """The one-line error for a DuckDB failure on the store `file`, classified by what happened:
    busy (another process), damaged (StoreDamaged: rebuild it), or unusable for another reason.
    The first DuckDB error of the chain decides (a failed read aborts the transaction, and what is
    tried next then fails for that reason alone)."""
    exc = _first_failure(exc)
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if held_by_another(file):
        return OutputError(f"{file}: another process is using it (wait for `callscope run` or "
                           f"`callscope report` to finish)")
    readable = file.is_file() and os.access(file, os.R_OK | os.W_OK)
    if readable and (type(exc) is duckdb.Error or isinstance(exc, DAMAGE)):
        return StoreDamaged(f"{file}: the store is damaged ({reason})")
    return CallscopeError(f"{file}: cannot open the store ({reason})")


def frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """Rows as a DataFrame of Python objects (None stays NULL), one column per table column."""
    return pd.DataFrame({c: pd.Series([row.get(c) for row in rows], dtype=object) for c in columns})


class Store:
    """Read and write access to one output folder's store; the schema is created on first use."""

    def __init__(self, path: str | Path, read_only: bool = False):
        self.path = store_path(path)
        self.con = connect(self.path, read_only)
        if not read_only:
            self.con.execute(SCHEMA.read_text(encoding="utf-8"))
            for name, sql in VIEWS.items():
                self.con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
        self._columns: dict[str, list[str]] = {}

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    def columns(self, table: str) -> list[str]:
        """A table's column names, in schema order."""
        if table not in self._columns:
            self._columns[table] = [row[0] for row in self.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [table]).fetchall()]
        return self._columns[table]

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """BEGIN ... COMMIT, rolled back on any error."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def insert(self, table: str, rows: list[dict]) -> None:
        """Append rows (dicts keyed by column name; missing columns are NULL)."""
        if not rows:
            return
        self.con.register("_rows", frame(rows, self.columns(table)))
        try:
            self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
        finally:
            self.con.unregister("_rows")

    def _delete_calls(self, call_ids: list[str]) -> None:
        self.con.register("_ids", pd.DataFrame({"call_id": pd.Series(call_ids, dtype=object)}))
        try:
            for table in CALL_TABLES:
                self.con.execute(f"DELETE FROM {table} WHERE call_id IN (SELECT call_id FROM _ids)")
        finally:
            self.con.unregister("_ids")

    def upsert(self, conversation: Conversation, metadata: CallMetadata, run_id: str) -> None:
        """Replace every row of this call, in one transaction."""
        self.upsert_many([(conversation, metadata)], run_id)

    def upsert_many(self, calls: Iterable[tuple[Conversation, CallMetadata]], run_id: str) -> int:
        """Replace every row of these calls in one transaction (a call given twice: the last wins)."""
        latest = {conversation.id: (conversation, meta) for conversation, meta in calls}
        tables: dict[str, list[dict]] = {table: [] for table in CALL_TABLES}
        for conversation, meta in latest.values():
            for table, rows in call_rows(conversation, meta, run_id).items():
                tables[table].extend(rows)
        with self.transaction():
            self._delete_calls(list(latest))
            for table, rows in tables.items():
                self.insert(table, rows)
        return len(latest)

    def delete(self, call_ids: Iterable[str]) -> None:
        """Remove these calls from every per-call table, in one transaction."""
        call_ids = list(call_ids)
        if call_ids:
            with self.transaction():
                self._delete_calls(call_ids)

    def stored_calls(self) -> dict[str, str]:
        """call_id -> sha256 of every call in the store."""
        return dict(self.con.execute("SELECT call_id, sha256 FROM conversations").fetchall())

    def update_metadata(self, metadata: dict[str, CallMetadata]) -> None:
        """Set the metadata columns of stored calls to the values given; None keeps the stored value.

        Used when a sidecar CSV arrives or changes after the calls were processed.
        """
        rows = [{"call_id": call_id, "call_time": m.call_time, "call_date": m.call_time.date() if m.call_time else None,
                 "queue": m.queue, "agent": m.agent, "team": m.team, "customer_id": m.customer_id, "channel": m.channel}
                for call_id, m in metadata.items()]
        if not rows:
            return
        new = {c: f"coalesce(CAST(_meta.{c} AS {t}), conversations.{c})" for c, t in METADATA_COLUMNS.items()}
        sets = ", ".join(f"{c} = {value}" for c, value in new.items())
        changed = " OR ".join(f"{value} IS DISTINCT FROM conversations.{c}" for c, value in new.items())
        self.con.register("_meta", frame(rows, ["call_id", *METADATA_COLUMNS]))
        try:
            with self.transaction():
                self.con.execute(f"UPDATE conversations SET {sets} FROM _meta "
                                 f"WHERE conversations.call_id = _meta.call_id AND ({changed})")
        finally:
            self.con.unregister("_meta")

    def record_run(self, run_id: str, started_at: datetime | str, finished_at: datetime | str | None = None,
                   config_hash: str | None = None, inputs: int = 0, processed: int = 0, failed: int = 0) -> None:
        """Insert or update one run's row."""
        row = {"run_id": run_id, "started_at": started_at, "finished_at": finished_at,
               "callscope_version": __version__, "config_hash": config_hash, "inputs": inputs,
               "processed": processed, "failed": failed}
        for key in ("started_at", "finished_at"):
            if isinstance(row[key], str):
                stamp = datetime.fromisoformat(row[key])
                row[key] = stamp.astimezone().replace(tzinfo=None) if stamp.tzinfo else stamp
        with self.transaction():
            self.con.execute("DELETE FROM runs WHERE run_id = ?", [run_id])
            self.insert("runs", [row])

    def load_surveys(self, csv_path: str | Path, warn: Callable[[str], None] | None = None) -> int:
        """Add or replace the survey answers in a CSV (call_id, csat and/or nps); returns the rows read."""
        rows = read_surveys(Path(csv_path), warn)
        with self.transaction():
            self.con.register("_ids", frame(rows, ["call_id"]))
            try:
                self.con.execute("DELETE FROM surveys WHERE call_id IN (SELECT call_id FROM _ids)")
            finally:
                self.con.unregister("_ids")
            self.insert("surveys", rows)
        return len(rows)

    def load_events(self, csv_path: str | Path, warn: Callable[[str], None] | None = None) -> int:
        """Replace the events with those of a CSV (date, label[, kind]); returns the rows read."""
        rows = read_events(Path(csv_path), warn)
        with self.transaction():
            self.con.execute("DELETE FROM events")
            self.insert("events", rows)
        return len(rows)

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        try:
            return {table: self.scalar(f"SELECT count(*) FROM {table}") for table in TABLES}
        except duckdb.Error as exc:
            self.close()
            raise store_error(self.path, exc) from None

    def scalar(self, sql: str, params: list | None = None):
        """The single value a query returns (the result is read to its end, as DuckDB requires)."""
        return self.con.execute(sql, params or []).fetchall()[0][0]

    def export(self, out_dir: str | Path, fmt: str = "parquet", group_readable: bool = False) -> list[Path]:
        """Every table, and every view the store holds (journeys), to `out_dir`/<name>.parquet or .csv,
        private files (0600, or 0640 when `group_readable`); returns the files written."""
        with private_files(group_readable):
            try:
                held = {row[0] for row in self.con.execute("SELECT view_name FROM duckdb_views() WHERE "
                                                           "database_name = current_database()").fetchall()}
                return export_tables(self.con, TABLES + tuple(v for v in VIEWS if v in held), Path(out_dir), fmt)
            except duckdb.Error as exc:
                self.close()
                raise store_error(self.path, exc) from None
