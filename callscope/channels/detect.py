"""PLACEHOLDER (branch textproc), to be replaced by the readers of branch textin: what kind of text
input a file is. Knows one shape only: conversation JSONL (see read.py)."""

from __future__ import annotations

from pathlib import Path

TEXT_EXTENSIONS = (".jsonl",)


def text_kind(path: Path) -> str | None:
    """The kind of text input `path` is ("conversation_jsonl"), or None when it is not one."""
    return "conversation_jsonl" if Path(path).suffix.lower() in TEXT_EXTENSIONS else None
