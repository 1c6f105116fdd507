"""Progress and messages without a user interface, in the style of pyannote's `hook=`.

The core calls ``hook(step, artefact, total=..., completed=...)``; the CLI passes a hook that
draws progress bars, a library user may pass any callable (or none). `step` is one of the
names below; `artefact` is what the step just handled:

- CHECKING: the input file's path; `total`/`completed` count input files.
- TRANSCRIBING: a `BatchProgress`; `total`/`completed` are seconds of audio.
- ANALYSING_TEXT: a `BatchProgress` of text conversations; `total`/`completed` count conversations.
- CORPUS: None when it starts (`completed=0`), the `CorpusSummary` when done (`completed=1`).
- REPORTS: None; `total`/`completed` count the call pages written.
- WARNING, FAILED, INFO: a one-line message (plain text) for the user.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Protocol

CHECKING = "checking inputs"
TRANSCRIBING = "transcribing"
ANALYSING_TEXT = "analysing text"
CORPUS = "corpus"
REPORTS = "reports"
WARNING = "warning"
FAILED = "failed"
INFO = "info"


class Hook(Protocol):
    """What the core calls to report progress and messages."""

    def __call__(self, step: str, artefact: object = None, *, total: float | None = None,
                 completed: float | None = None) -> None: ...


def silent(step: str, artefact: object = None, *, total: float | None = None,
           completed: float | None = None) -> None:
    """The default hook: reports nothing."""


def print_warning(line: str) -> None:
    """The default warning sink where no hook is given: one line on stderr."""
    print(f"warning: {line}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class BatchProgress:
    """Where transcription of a batch stands after a call finished."""

    files_done: int
    files_total: int
    audio_seconds: float      # audio of the calls processed so far
    wall_seconds: float

    @property
    def speed(self) -> float:
        """Audio seconds per wall-clock second."""
        return self.audio_seconds / self.wall_seconds if self.wall_seconds else 0.0


class Messages:
    """A hook that keeps the one-line messages (warnings, failures, notes) and ignores progress."""

    def __init__(self):
        self.lines: list[str] = []

    def __call__(self, step: str, artefact: object = None, *, total: float | None = None,
                 completed: float | None = None) -> None:
        if step in (WARNING, FAILED, INFO):
            self.lines.append(str(artefact))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)
