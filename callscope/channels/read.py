"""One entry point for every text input: `read_text_input` finds the kind of a file and reads it."""

from __future__ import annotations

from pathlib import Path

from callscope.channels.chat_csv import read_chat_csv
from callscope.channels.conversation_json import read_conversation_json
from callscope.channels.detect import SNIFF_BYTES, csv_header, text_kind
from callscope.channels.email import read_emails
from callscope.channels.surveys import read_surveys
from callscope.channels.thread import Problem, Reading
from callscope.config import ChannelSettings

READERS = {
    "chat_csv": read_chat_csv,
    "survey_csv": read_surveys,
    "conversation_json": read_conversation_json,
    "email": lambda path, settings: read_emails([path], settings),
    "mbox": lambda path, settings: read_emails([path], settings),
}


def read_text_input(path: Path, settings: ChannelSettings) -> Reading:
    """The threads of one text input and the problems met; never raises for what the file holds. A file
    that is no text input, or holds no conversation, gives one Problem saying why."""
    kind = text_kind(path, settings)
    if kind is None:
        return Reading(problems=[Problem(path, _not_text_input(path))])
    reading = READERS[kind](path, settings)
    if not reading.threads and not reading.problems:
        reading.problems.append(Problem(path, "holds no conversation"))
    return reading


def _not_text_input(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        return f"cannot read ({exc.strerror or exc})"
    if path.suffix.lower() == ".csv":
        header = csv_header(path, head)
        return (f"the CSV header ({', '.join(header) or 'empty'}) names neither a chat export (conversation id, "
                f"sender, message) nor survey responses (csat, nps, score or rating): see channels in docs/inputs.md")
    if path.suffix.lower() in (".json", ".jsonl"):
        return "not JSON (it does not start with { or [)"
    return "not a text input (chat or survey CSV, conversation JSON, e-mail or mbox)"
