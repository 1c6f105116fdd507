"""Call metadata (time, queue, agent, team, customer id, channel) for the store.

Sources, in order of precedence per field: a sidecar CSV (one row per call,
keyed by `call_id` or by `file` name), the first filename pattern of the config
that matches the recording's name (a regex with named groups), what a text conversation
says of itself (its channel, start time, customer id and agent: `CallMetadata.of`), and,
for the call time only, the recording's modification time; the configured channel last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import datetime, time
from pathlib import Path
from typing import Callable

from callscope.config import MetadataSettings
from callscope.conversation import Conversation
from callscope.csvrows import csv_rows
from callscope.errors import ConfigError, InputError

FIELDS = ("queue", "agent", "team", "customer_id", "channel")
TIME_KEYS = ("call_time", "datetime", "date", "time")
GROUPS = frozenset(FIELDS + TIME_KEYS)
KEYS = ("call_id", "file")


@dataclass(frozen=True)
class CallMetadata:
    """What is known about a call besides its audio; every field may be missing."""

    call_time: datetime | None = None
    queue: str | None = None
    agent: str | None = None
    team: str | None = None
    customer_id: str | None = None
    channel: str | None = None

    @classmethod
    def of(cls, conversation: Conversation) -> "CallMetadata":
        """What a conversation says of itself (a call: nothing; its channel is the configured one)."""
        if conversation.channel == "voice" and conversation.source.layout != "text":
            return cls()
        started = conversation.started_at and _naive(datetime.fromisoformat(conversation.started_at))
        return cls(call_time=started or None, agent=conversation.agent, customer_id=conversation.customer_id,
                   channel=conversation.channel)

    def filled_from(self, other: "CallMetadata") -> "CallMetadata":
        """These values, with the gaps filled from `other`."""
        return replace(self, **{f.name: getattr(other, f.name) for f in fields(self)
                                if getattr(self, f.name) is None})


def parse_time(values: dict[str, str]) -> datetime | None:
    """A datetime from `call_time`/`datetime`, or `date` plus optional `time` (ISO 8601, basic or extended).

    Raises ValueError naming the bad value.
    """
    stamp = values.get("call_time") or values.get("datetime")
    if stamp:
        return _naive(datetime.fromisoformat(stamp.strip().replace("_", "T")))
    day = values.get("date")
    if not day:
        return None
    parsed = _naive(datetime.fromisoformat(day.strip()))
    clock = (values.get("time") or "").strip()
    if clock:
        digits = clock.replace(":", "")
        if not digits.isdigit() or len(digits) not in (4, 6):
            raise ValueError(f"time {clock!r} is not HH:MM[:SS] or HHMM[SS]")
        parsed = datetime.combine(parsed.date(), time(int(digits[:2]), int(digits[2:4]), int(digits[4:6] or 0)))
    return parsed


def _naive(value: datetime) -> datetime:
    """Local wall-clock time without a zone (the store's TIMESTAMP columns)."""
    return value.astimezone().replace(tzinfo=None) if value.tzinfo else value


def _metadata(values: dict[str, str]) -> CallMetadata:
    clean = {k: v.strip() for k, v in values.items() if k in GROUPS and v is not None and v.strip()}
    return CallMetadata(call_time=parse_time(clean), **{k: clean.get(k) for k in FIELDS})


def read_sidecar(path: Path, warn: Callable[[str], None] | None = None) -> dict[str, CallMetadata]:
    """Rows of a metadata CSV keyed by `call_id` and/or `file` (name or path as written).

    Any problem is a one-line ConfigError naming the file and the line: the run cannot start.
    Columns it does not use (often misspelt) are passed to `warn`.
    """
    rows: dict[str, CallMetadata] = {}
    try:
        for line, values in csv_rows(path, one_of=KEYS, known=(*KEYS, *FIELDS, *TIME_KEYS), warn=warn):
            try:
                meta = _metadata(values)
            except ValueError as exc:
                raise ConfigError(f"metadata file {path}: line {line}: {exc}") from None
            for key in KEYS:
                if values.get(key):
                    rows[values[key]] = meta
    except InputError as exc:
        raise ConfigError(f"metadata file {exc}") from None
    return rows


class MetadataResolver:
    """Metadata for each call from the configured sidecar, filename patterns and file time;
    `warnings` holds what was odd in the sidecar (unused columns)."""

    def __init__(self, settings: MetadataSettings):
        self.settings = settings
        self.patterns = [re.compile(p) for p in settings.filename_patterns]
        self.warnings: list[str] = []
        self.sidecar = read_sidecar(Path(settings.sidecar), self.warnings.append) if settings.sidecar else {}

    def from_filename(self, path: Path) -> CallMetadata:
        """Named groups of the first pattern found in the file name (without extension)."""
        for pattern in self.patterns:
            match = pattern.search(Path(path).stem)
            if match:
                try:
                    return _metadata(match.groupdict())
                except ValueError as exc:
                    raise InputError(f"{path}: file name matches {pattern.pattern!r} but {exc}") from None
        return CallMetadata()

    def explicit(self, call_id: str, path: str | Path, patterns: bool = True) -> CallMetadata:
        """What the sidecar row (by call id, file path or file name) and then the file name say.

        A file name that matches a pattern with an unreadable date raises InputError;
        call again with `patterns=False` to carry on without it.
        """
        path = Path(path)
        row = self.sidecar.get(call_id) or self.sidecar.get(str(path)) or self.sidecar.get(path.name) or CallMetadata()
        return row.filled_from(self.from_filename(path)) if patterns else row

    def lenient(self, call_id: str, path: str | Path, warn: Callable[[str], None], explicit: bool = False,
                own: CallMetadata = CallMetadata()) -> CallMetadata:
        """`resolve` (or `explicit`), the file name passed over (and `warn` told) when its date is unreadable."""
        def read(patterns: bool = True) -> CallMetadata:
            return self.explicit(call_id, path, patterns) if explicit else self.resolve(call_id, path, patterns, own)

        try:
            return read()
        except InputError as exc:
            warn(f"{exc}; file name ignored for metadata")
            return read(patterns=False)

    def resolve(self, call_id: str, path: str | Path, patterns: bool = True,
                own: CallMetadata = CallMetadata()) -> CallMetadata:
        """`explicit` metadata, then what the conversation says of itself (`own`), the call time falling
        back to the file's modification time and the channel to the configured one."""
        meta = self.explicit(call_id, path, patterns).filled_from(own)
        if meta.call_time is None:
            try:
                modified = datetime.fromtimestamp(Path(path).stat().st_mtime).replace(microsecond=0)
                meta = replace(meta, call_time=modified)
            except OSError:
                pass
        return replace(meta, channel=meta.channel or self.settings.channel)
