"""Store tables as files for BI tools: one Parquet or CSV file per table, each written atomically.

In CSV files, text cells a spreadsheet would run as formulas are neutralised (callscope/csvsafe.py)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from callscope.csvsafe import safe_cell_sql
from callscope.errors import CallscopeError, OutputError
from callscope.files import output_problem

FORMATS = {"parquet": "(FORMAT parquet, COMPRESSION zstd)", "csv": "(FORMAT csv, HEADER true)"}


def export_tables(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...], out_dir: Path, fmt: str) -> list[Path]:
    """`out_dir`/<table>.<fmt> for each table, rows in primary-key order; returns the paths."""
    if fmt not in FORMATS:
        raise CallscopeError(f"export format {fmt!r}: expected one of {', '.join(FORMATS)}")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(output_problem(out_dir, exc)) from None
    written = []
    for table in tables:
        target = out_dir / f"{table}.{fmt}"
        tmp = out_dir / f".{table}.{fmt}.tmp"
        columns = _csv_columns(con, table) if fmt == "csv" else "*"
        con.execute(f"COPY (SELECT {columns} FROM {table} ORDER BY {_order(con, table)}) "
                    f"TO '{_quoted(tmp)}' {FORMATS[fmt]}")
        os.replace(tmp, target)
        written.append(target)
    return written


def _csv_columns(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The table's columns, text ones made safe for spreadsheets."""
    described = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
                            "AND database_name = current_database() ORDER BY column_index", [table]).fetchall()
    quoted = ['"' + name.replace('"', '""') + '"' for name, _ in described]
    return ", ".join(f"{safe_cell_sql(q)} AS {q}" if kind == "VARCHAR" else q
                     for q, (_, kind) in zip(quoted, described))


def _order(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The primary key's columns, else all columns: the same store always exports the same files."""
    keys = con.execute("SELECT constraint_column_names FROM duckdb_constraints() "
                       "WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'", [table]).fetchall()
    return ", ".join(keys[0][0]) if keys else "ALL"


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
