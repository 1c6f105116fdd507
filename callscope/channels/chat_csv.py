"""Chat exports: a CSV with one message per row, rows of many conversations possibly interleaved.

Columns are found by name (settings.chat_columns aliases, settings.chat_mapping); conversation id, sender
and message are required. A row that cannot be read (bad time, no conversation id, wrong number of
fields) is a Problem naming its line, and the rest of the file is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from callscope.channels.source import (columns_of, csv_records, day_first_of, in_time_order, instant, load_text,
                                      parse_time, role_of)
from callscope.channels.thread import Message, Problem, Reading, Thread
from callscope.config import ChannelSettings

REQUIRED = ("conversation_id", "sender", "message")


def chat_columns(header: list[str], settings: ChannelSettings) -> dict[str, int]:
    """Chat column -> index in `header` (see settings.chat_columns and chat_mapping)."""
    return columns_of(header, settings.chat_columns, settings.chat_mapping)


def is_chat_header(header: list[str], settings: ChannelSettings) -> bool:
    """Whether a CSV header names a conversation id, a sender and a message column."""
    return set(REQUIRED) <= set(chat_columns(header, settings))


@dataclass
class _Conversation:
    line: int
    messages: list[Message] = field(default_factory=list)
    customer_id: str | None = None
    agent: str | None = None


def read_chat_csv(path: Path, settings: ChannelSettings) -> Reading:
    """One Thread (channel "chat") per conversation id, ordered by first message; bot and system
    messages kept with their role. The role is the first one named by the sender column or another
    column named like one (an export with `author` names and a `role` column)."""
    text = load_text(path)
    if isinstance(text, Problem):
        return Reading(problems=[text])
    reading, conversations = Reading(), {}
    columns, senders, day_first = None, [], settings.day_first
    records = list(csv_records(path, text))
    for record in records:
        if isinstance(record, Problem):
            reading.problems.append(record)
        elif columns is None:
            columns = chat_columns(record[1], settings)
            senders = _sender_columns(record[1], columns, settings)
            missing = [name for name in REQUIRED if name not in columns]
            if missing:
                reading.problems.append(Problem(path, f"no {' or '.join(missing)} column in the header "
                                                      f"(see channels.chat_columns in docs/inputs.md)", record[0]))
                return reading
            if "timestamp" in columns:
                day_first = day_first_of((row[1][columns["timestamp"]] for row in records if not
                                          isinstance(row, Problem) and row[0] > record[0]), settings.day_first)
        else:
            problem = _add_row(path, *record, columns, senders, conversations, settings, day_first)
            if problem:
                reading.problems.append(problem)
    reading.threads = sorted((_thread(path, key, chat, settings) for key, chat in conversations.items()),
                             key=_first_message)
    return reading


def _sender_columns(header: list[str], columns: dict[str, int], settings: ChannelSettings) -> list[int]:
    """The sender column first, then the other columns named like one (e.g. `author` and `role`)."""
    names = [name.strip().lower() for name in header]
    others = [index for index, name in enumerate(names) if index != columns.get("sender")
              and (name in settings.chat_columns["sender"] or settings.chat_mapping.get(name) == "sender")]
    return [columns["sender"], *others] if "sender" in columns else others


def _add_row(path: Path, line: int, fields: list[str], columns: dict[str, int], senders: list[int],
             conversations: dict[str, _Conversation], settings: ChannelSettings, day_first: bool) -> Problem | None:
    value = {name: fields[index] for name, index in columns.items()}
    key = value["conversation_id"]
    if not key:
        return Problem(path, "no conversation id", line)
    sent_at = None
    if value.get("timestamp"):
        try:
            sent_at = parse_time(value["timestamp"], day_first)
        except ValueError:
            return Problem(path, f"timestamp {value['timestamp']!r} is not a date and time", line)
    chat = conversations.setdefault(key, _Conversation(line))
    chat.customer_id = chat.customer_id or value.get("customer_id") or None
    chat.agent = chat.agent or value.get("agent") or None
    if value["message"]:
        role = next((role for role in (role_of(fields[i], settings) for i in senders) if role != "unknown"), "unknown")
        if role == "unknown" and value["sender"]:
            role = "agent" if value["sender"] == value.get("agent") else (
                "customer" if value["sender"] == value.get("customer_id") else role)
        chat.messages.append(Message(role, value["message"], value["sender"], sent_at, line=line))
    return None


def _thread(path: Path, key: str, chat: _Conversation, settings: ChannelSettings) -> Thread:
    started_at, messages = in_time_order(chat.messages)
    agent = chat.agent or next((m.author for m in messages if m.role == "agent"
                                and m.author and role_of(m.author, settings) == "unknown"), None)
    return Thread(path, key, "chat", messages, chat.customer_id, agent, started_at,
                  warnings=() if messages else (f"{path}: line {chat.line}: conversation {key} has no messages",),
                  line=chat.line)


def _first_message(thread: Thread) -> tuple:
    first = thread.messages[0].sent_at if thread.messages else None
    return (first is None, first and instant(first), thread.line)
