"""What every command shares: the consoles, options, the error-to-exit-code decorator, the progress hook."""

from __future__ import annotations

import functools
import os
import sys
from typing import Callable

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeRemainingColumn
from rich.text import Text

from callscope import hooks
from callscope.errors import EXIT_INTERRUPTED, CallscopeError

# Messages hold paths, regexes and transcripts: never read as rich markup or emoji codes.
err = Console(stderr=True, soft_wrap=True, markup=False, emoji=False, highlight=False)
out = Console(soft_wrap=True, markup=False, emoji=False, highlight=False)

ConfigOption = typer.Option(None, "--config", "-c", dir_okay=False,
                            help="YAML file overriding the defaults (callscope/configs/default.yaml).")
JsonOption = typer.Option(False, "--json", help="Print one JSON object on stdout.")


def fail(message: str, code: int) -> None:
    """Print a one-line error and exit with `code`."""
    err.print(Text.assemble(("error:", "red"), " ", message))
    raise typer.Exit(code)


def exits(interrupted: str = "interrupted") -> Callable:
    """Decorate a command: a CallscopeError exits with its `exit_code` (one line, no traceback);
    Ctrl-C prints `interrupted` and exits 130 at once (worker threads are not waited for)."""
    def decorate(command: Callable) -> Callable:
        @functools.wraps(command)
        def wrapper(*args, **kwargs):
            try:
                return command(*args, **kwargs)
            except CallscopeError as exc:
                fail(str(exc), exc.exit_code)
            except KeyboardInterrupt:
                err.print(interrupted)
                sys.stderr.flush()
                os._exit(EXIT_INTERRUPTED)
        return wrapper
    return decorate


_LABELS = {hooks.CHECKING: "Checking inputs", hooks.TRANSCRIBING: "Transcribing",
           hooks.ANALYSING_TEXT: "Analysing chats, e-mails, surveys",
           hooks.CORPUS: "Updating repeat contacts, satisfaction and topics", hooks.REPORTS: "Writing call pages"}
_MESSAGES = {hooks.WARNING: ("! ", "yellow"), hooks.FAILED: ("✗ ", "red"), hooks.INFO: ("", "")}


class RichHook:
    """Draws the core's progress (callscope/hooks.py) as rich bars on `console`; messages as plain text."""

    def __init__(self, console: Console, *, transient: bool = False, enabled: bool = True):
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.fields[detail]}"), TimeRemainingColumn(),
                                 console=console, transient=transient, disable=not enabled)
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> "RichHook":
        self.progress.start()
        return self

    def __exit__(self, *_) -> None:
        self.progress.stop()

    def __call__(self, step: str, artefact: object = None, *, total: float | None = None,
                 completed: float | None = None) -> None:
        if step in _MESSAGES:
            self.progress.console.print(Text.assemble(_MESSAGES[step], str(artefact)))
            return
        detail = ""
        if isinstance(artefact, hooks.BatchProgress):
            detail = f"{artefact.files_done}/{artefact.files_total} " + (
                "conversations" if step == hooks.ANALYSING_TEXT else
                f"files  {artefact.audio_seconds / 3600:.2f} h audio  {artefact.speed:.1f}x RT")
        if step not in self.tasks:
            self.tasks[step] = self.progress.add_task(_LABELS.get(step, step), total=total, detail=detail)
        self.progress.update(self.tasks[step], total=total, completed=completed, detail=detail)
