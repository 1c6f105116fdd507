"""`callscope models`: the bundled speech models, their checks and paths."""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from callscope import registry
from callscope.cli.common import err, exits, out
from callscope.errors import EXIT_SETUP

app = typer.Typer(help="Bundled and local speech models.", no_args_is_help=True)


@app.command("list")
def models_list() -> None:
    """Bundled models and whether they are ready to use."""
    table = Table("name", "description", "status")
    for name, model in registry.BUNDLED.items():
        table.add_row(name, model.description, registry.status(name))
    out.print(table)


@app.command("verify")
def models_verify(name: Optional[str] = typer.Argument(None, help="One model; default: all bundled.")) -> None:
    """Check model files against their pinned sha256 (joins split models on first use)."""
    names = [name] if name else list(registry.BUNDLED)
    bad = 0
    for each in names:
        result = registry.status(each)
        bad += result != "ok"
        (out if result == "ok" else err).print(f"{each}: {result}")
    raise typer.Exit(EXIT_SETUP if bad else 0)


@app.command("path")
@exits()
def models_path(name: str = typer.Argument(..., help="Bundled name, local directory or hub id.")) -> None:
    """Print where a model's files are (materialising a split model first)."""
    out.print(str(registry.resolve(name)))
