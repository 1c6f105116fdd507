"""Reading the CSV files a user supplies (call metadata, surveys, events), with one-line errors.

Files may be UTF-8 or Windows-1252 (what Excel writes); a NUL byte or a broken quote is an
error naming the line; a column the reader does not use is reported, as it is often a misspelling.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Callable, Iterator

from callscope.errors import InputError
from callscope.files import decode_text


def csv_rows(path: Path, required: tuple[str, ...] = (), one_of: tuple[str, ...] = (),
             known: tuple[str, ...] | None = None,
             warn: Callable[[str], None] | None = None) -> Iterator[tuple[int, dict]]:
    """(line number, row with lower-cased stripped keys and stripped values) for each non-empty data line.

    The header must hold every `required` column and at least one of `one_of`. Header columns
    outside `known` (when given) are passed to `warn` in one line. Any problem raises InputError
    naming the file and the line.
    """
    try:
        text = decode_text(path.read_bytes())
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeError as exc:
        raise InputError(f"{path}: {exc}") from None
    if "\0" in text:
        line = text[: text.index("\0")].count("\n") + 1
        raise InputError(f"{path}: line {line}: holds a NUL byte (not a text CSV file?)")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error as exc:
        raise InputError(f"{path}: line 1: not valid CSV ({exc})") from None
    header = [(name or "").strip().lower() for name in fieldnames]
    missing = [name for name in required if name not in header]
    if missing or (one_of and not set(one_of) & set(header)):
        wanted = " and ".join([*required, *([" and/or ".join(one_of)] if one_of else [])])
        raise InputError(f"{path}: line 1: expected columns {wanted}; found {', '.join(header) or 'none'}")
    unused = [name for name in header if known is not None and name not in known]
    if unused and warn:
        warn(f"{path}: line 1: column(s) {', '.join(map(repr, unused))} not used "
             f"(known: {', '.join(known)}); misspelt?")
    reader.fieldnames = header
    try:
        for row in reader:
            values = {k: (v or "").strip() for k, v in row.items() if k is not None and not isinstance(v, list)}
            if any(values.values()):
                yield reader.line_num, values
    except csv.Error as exc:
        raise InputError(f"{path}: line {reader.line_num}: not valid CSV ({exc})") from None
