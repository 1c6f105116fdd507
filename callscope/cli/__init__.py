"""The `callscope` command line: a thin layer over the library (callscope/api.py).

One module per command group: run, report, export, models, eval, store; shared options, the error-to-exit-code
decorator and the rich progress hook are in common.py.
"""

from __future__ import annotations

import os

import typer

from callscope import __version__
from callscope.cli import eval as eval_commands, export, models, report, run, store
from callscope.cli.common import out

app = typer.Typer(help="Offline conversation analytics for contact centres.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
app.command("run")(run.run)
app.command("report")(report.report)
app.command("export")(export.export)
app.add_typer(models.app, name="models")
app.add_typer(eval_commands.app, name="eval")
app.add_typer(store.app, name="store")


def version_callback(value: bool) -> None:
    if value:
        out.print(f"callscope {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True,
                                      help="Show the version and exit.")) -> None:
    """Transcribe and analyse recorded customer conversations, offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


__all__ = ["app"]
