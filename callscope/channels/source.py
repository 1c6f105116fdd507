"""What the text readers share: the file's text, times, sender roles, column names, message offsets."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from callscope.channels.thread import Message, Problem, Sender
from callscope.config import ChannelSettings
from callscope.files import decode_text

EPOCH_MILLIS = 1e11      # a number above this is an epoch time in milliseconds (1e11 s is the year 5138)
EPOCH_SECONDS = 1e8      # a number above this (1973) is an epoch time; below, an offset in seconds
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
_SLASH_DATE = re.compile(r"(\d{1,2})([/.])(\d{1,2})\2(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")  # 03/12/2026 14:05


def load_text(path: Path) -> str | Problem:
    """The text of a file a user gave (UTF-8 with or without BOM, else Windows-1252), or why not."""
    try:
        return decode_text(path.read_bytes())
    except OSError as exc:
        return Problem(path, f"cannot read ({exc.strerror or exc})")
    except UnicodeError as exc:
        return Problem(path, str(exc))


def parse_time(value: object, day_first: bool | None = None) -> datetime:
    """A wall-clock time: ISO 8601 ("2026-03-01T10:00:00Z", "2026-03-01 10:00:00", a date) or epoch
    seconds (milliseconds above 1e11); with `day_first` given, also a slash (or dot) date with an optional
    time, "03/12/2026 14:05", read day-first or month-first as it says. Raises ValueError."""
    if day_first is not None and isinstance(value, str) and (slash := _SLASH_DATE.fullmatch(value.strip())):
        first, _, second, year, hour, minute, second_of_minute = slash.groups()
        day, month = (first, second) if day_first else (second, first)
        return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second_of_minute or 0))
    if isinstance(value, bool):
        raise ValueError("not a time")
    if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.fullmatch(value.strip())):
        number = float(value)
        if number < EPOCH_SECONDS:
            raise ValueError("not a time")
        return datetime.fromtimestamp(number / 1000 if number > EPOCH_MILLIS else number, timezone.utc)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("not a time")
    return datetime.fromisoformat(value.strip())


def day_first_of(values: Iterable[str], setting: bool) -> bool:
    """Whether a column's slash dates are day-first: the order that reads more of the dates only one order
    reads (25/12/2026 only day-first, 12/25/2026 only month-first), or `setting` (channels.day_first)
    when none or as many read each way."""
    day_first, month_first = 0, 0
    for value in values:
        if slash := _SLASH_DATE.fullmatch(value.strip()):
            first, second = int(slash.group(1)), int(slash.group(3))
            day_first += first > 12 >= second
            month_first += second > 12 >= first
    return setting if day_first == month_first else day_first > month_first


def instant(moment: datetime) -> datetime:
    """A time comparable with any other: a time without zone is taken as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def in_time_order(messages: list[Message]) -> tuple[datetime | None, tuple[Message, ...]]:
    """(first sent_at, the messages sorted by sent_at — undated ones keep their place after the dated —
    with `start` set to seconds since the first sent_at when they have no start of their own)."""
    dated = sorted((m for m in messages if m.sent_at), key=lambda m: instant(m.sent_at))
    ordered = dated + [m for m in messages if not m.sent_at]
    if not dated:
        return None, tuple(ordered)
    first = instant(dated[0].sent_at)
    return dated[0].sent_at, tuple(
        replace(m, start=(instant(m.sent_at) - first).total_seconds()) if m.sent_at and m.start is None else m
        for m in ordered)


def role_of(value: str, settings: ChannelSettings) -> Sender:
    """The role a sender value names (settings.senders), else "unknown"."""
    wanted = value.strip().lower()
    for role, values in settings.senders.items():
        if wanted in values:
            return role
    return "unknown"


def columns_of(header: list[str], aliases: dict[str, list[str]], mapping: dict[str, str]) -> dict[str, int]:
    """Column name -> its index in `header`: a mapped header first, else the first alias present."""
    names = [name.strip().lower() for name in header]
    found = {mapping[name]: index for index, name in reversed(list(enumerate(names))) if name in mapping}
    for column, candidates in aliases.items():
        index = next((names.index(name) for name in candidates if name in names), None)
        if column not in found and index is not None:
            found[column] = index
    return found


def csv_records(path: Path, text: str) -> Iterator[tuple[int, list[str]] | Problem]:
    """(first line, stripped fields) of each non-blank CSV record, the header first; a record that is
    not valid CSV or has another number of fields than the header is a Problem, and reading goes on."""
    reader = csv.reader(io.StringIO(text, newline=""))
    width, end = None, 0
    while True:
        start = end + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Problem(path, f"not valid CSV ({exc})", start)
            continue
        finally:
            end = reader.line_num
        if not any(field.strip() for field in fields):
            continue
        if width is not None and len(fields) != width:
            yield Problem(path, f"{len(fields)} fields where the header has {width} (a comma or quote not escaped?)",
                          start)
            continue
        width = width or len(fields)
        yield start, [field.strip() for field in fields]
