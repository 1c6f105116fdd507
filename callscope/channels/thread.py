"""What every text reader produces: conversations as threads of messages, and problems as lines.

A `Thread` is one conversation of one channel as its source gives it, before any analysis or
redaction. Its `content_hash` identifies it across runs: a grown chat export re-processes only the
threads whose hash changed (or that are new).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from callscope.conversation import Channel, SurveyAnswer
from callscope.conversation import Role as Sender


@dataclass(frozen=True)
class Message:
    """One message (chat line, e-mail, survey verbatim, imported transcript turn).

    `start`/`end` are seconds from the thread's first message (`end` only for timed speech turns);
    `sent_at` is the wall-clock time when the source gives one; `line` is where it is in the file.
    """

    role: Sender
    text: str
    author: str = ""
    sent_at: datetime | None = None
    start: float | None = None
    end: float | None = None
    line: int | None = None


@dataclass(frozen=True)
class Thread:
    """One conversation read from a text input; `key` is its id within the file (chat id, thread root)."""

    path: Path
    key: str
    channel: Channel
    messages: tuple[Message, ...]
    customer_id: str | None = None
    agent: str | None = None
    started_at: datetime | None = None
    attachments: tuple[str, ...] = ()
    survey: SurveyAnswer | None = None
    warnings: tuple[str, ...] = ()
    line: int | None = None        # the first line of the thread in its file

    def content_hash(self) -> str:
        """sha256 of what the analysis reads (messages, ids, times, survey); not of where it was found."""
        content = {"key": self.key, "channel": self.channel, "customer_id": self.customer_id, "agent": self.agent,
                   "started_at": self.started_at, "survey": self.survey and self.survey.model_dump(),
                   "messages": [[m.role, m.author, m.text, m.sent_at, m.start, m.end] for m in self.messages]}
        return hashlib.sha256(json.dumps(content, default=str, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Problem:
    """Something in a text input that could not be read; the rest of the file still is."""

    path: Path
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}: line {self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.reason}"


@dataclass
class Reading:
    """What one text input holds: its threads in file order and the problems met."""

    threads: list[Thread] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
