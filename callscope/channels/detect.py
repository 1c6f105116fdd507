"""Which text input a file is, by its extension and its content (docs/inputs.md)."""

from __future__ import annotations

import re
from pathlib import Path

from callscope.channels.chat_csv import is_chat_header
from callscope.channels.source import csv_records
from callscope.channels.surveys import is_survey_header
from callscope.channels.thread import Problem
from callscope.config import ChannelSettings

TEXT_EXTENSIONS = (".csv", ".json", ".jsonl", ".eml", ".mbox")
SNIFF_BYTES = 8192
CONTENT_SNIFFED = ("", ".txt")     # extensions of files that are e-mail when they start with headers
_HEADER_LINE = re.compile(rb"^(from|to|subject|date|message-id|received|return-path|delivered-to|mime-version)"
                          rb"\s*:", re.IGNORECASE | re.MULTILINE)

_MBOX_START = re.compile(rb"From \S+ [^\n]*\d\d:\d\d[^\n]*\r?\n[A-Za-z][\w-]*:")   # "From addr date", then a header

KINDS_HELP = {
    "chat_csv": "chat export: .csv with conversation id, sender and message columns (one message per row)",
    "survey_csv": "survey responses: .csv with a csat, nps, score or rating column (one response per row)",
    "conversation_json": ".json / .jsonl: conversations (turns/messages), ASR segments, AWS Transcribe Call Analytics",
    "email": ".eml (or a .txt / extensionless file starting with headers): one e-mail, threaded with the others",
    "mbox": ".mbox, or any file starting with an mbox \"From \" line and headers: an e-mail archive",
}


def text_kind(path: Path, settings: ChannelSettings | None = None) -> str | None:
    """"chat_csv", "survey_csv", "conversation_json", "email", "mbox", or None (not a text input, e.g. audio).

    A CSV is a chat export when its header names a conversation id, a sender and a message column, else a
    survey export when it names a score column; a .csv that is neither, or that cannot be read, is None
    (`read_text_input` says why)."""
    settings = settings or ChannelSettings()
    suffix = path.suffix.lower()
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        return None
    if suffix == ".csv":
        return csv_kind(csv_header(path, head), settings)
    if suffix in (".json", ".jsonl"):
        return "conversation_json" if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[", b"") else None
    if suffix == ".mbox" or _MBOX_START.match(head):
        return "mbox"
    if suffix == ".eml" or (suffix in CONTENT_SNIFFED and _HEADER_LINE.match(head)
                            and b"\n\n" in head.replace(b"\r\n", b"\n")):
        return "email"
    return None


def csv_header(path: Path, head: bytes) -> list[str]:
    """The header fields of a CSV file that starts with `head`."""
    text = head.decode("utf-8-sig", errors="replace")
    return next((record[1] for record in csv_records(path, text) if not isinstance(record, Problem)), [])


def csv_kind(header: list[str], settings: ChannelSettings) -> str | None:
    """"chat_csv" or "survey_csv" by the CSV header, else None."""
    if is_chat_header(header, settings):
        return "chat_csv"
    return "survey_csv" if is_survey_header(header, settings) else None
