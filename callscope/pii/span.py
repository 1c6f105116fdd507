"""The unit every PII rule returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """Characters [start, end) of a text hold PII of `kind` (one of callscope.redact.KINDS)."""

    start: int
    end: int
    kind: str
