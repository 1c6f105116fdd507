"""`callscope export`: every store table as one Parquet or CSV file, for BI tools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from callscope import api
from callscope.cli.common import ConfigOption, JsonOption, err, exits, fail
from callscope.config import load_settings
from callscope.errors import EXIT_USAGE


@exits()
def export(
    out_dir: Path = typer.Option(Path("out"), "--out", "-o",
                                 help="Output folder of `callscope run` (holds callscope.duckdb)."),
    fmt: str = typer.Option("parquet", "--format", "-f", help="parquet or csv."),
    to: Optional[Path] = typer.Option(None, "--to", file_okay=False, help="Folder for the files (default: OUT/export)."),
    config: Optional[Path] = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """Write every store table to one Parquet or CSV file for BI tools."""
    from callscope.recovery import with_store_recovery

    if fmt not in ("parquet", "csv"):
        fail(f"--format {fmt!r}: expected parquet or csv", EXIT_USAGE)
    target = to or out_dir / "export"
    settings = load_settings(config)

    def write() -> tuple[dict[str, int], list[Path]]:
        with api.open_store(out_dir) as store:
            return store.counts(), store.export(target, fmt, settings.output.group_readable)

    counts, files = with_store_recovery(out_dir, settings, write, lambda line: err.print(f"! {line}"))
    if as_json:
        print(json.dumps({"format": fmt, "files": [str(f) for f in files], "rows": counts}))
        return
    err.print(f"{len(files)} tables ({sum(counts.values())} rows) -> {target}")
