"""Reading the CSV files a user supplies (call metadata, surveys, events), with one-line errors."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

from callscope.errors import InputError


def csv_rows(path: Path, required: tuple[str, ...] = (), one_of: tuple[str, ...] = ()) -> Iterator[tuple[int, dict]]:
    """(line number, row with lower-cased stripped keys and stripped values) for each non-empty data line.

    The header must hold every `required` column and at least one of `one_of`. Any problem
    raises InputError naming the file and the line.
    """
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with handle:
        reader = csv.DictReader(handle)
        header = [(name or "").strip().lower() for name in reader.fieldnames or []]
        missing = [name for name in required if name not in header]
        if missing or (one_of and not set(one_of) & set(header)):
            wanted = " and ".join([*required, *([" and/or ".join(one_of)] if one_of else [])])
            raise InputError(f"{path}: line 1: expected columns {wanted}; found {', '.join(header) or 'none'}")
        reader.fieldnames = header
        try:
            for row in reader:
                values = {k: (v or "").strip() for k, v in row.items() if k is not None and not isinstance(v, list)}
                if any(values.values()):
                    yield reader.line_num, values
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: line {reader.line_num}: not valid CSV ({exc})") from None
