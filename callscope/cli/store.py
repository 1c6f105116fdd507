"""`callscope store`: look after an output folder's store."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from callscope.cli.common import ConfigOption, err, exits
from callscope.config import load_settings

app = typer.Typer(help="Look after the store (callscope.duckdb) of an output folder.", no_args_is_help=True)


@app.command("rebuild")
@exits()
def rebuild(
    out_dir: Path = typer.Option(Path("out"), "--out", "-o", help="Output folder of `callscope run`."),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Move the store aside (callscope.duckdb.damaged-<time>) and rebuild it from manifest.json and the
    calls' JSON files; one line says what was done."""
    from callscope.recovery import rebuild_store

    rebuild_store(out_dir, load_settings(config), lambda line: err.print(line))
