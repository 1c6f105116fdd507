"""Conversations as JSON: one per line (.jsonl) or per file (.json: an object or a list of them).

Shapes (docs/inputs.md): `{"id", "channel"?, "customer_id"?, "agent"?, "turns"|"messages": [{"role"|"speaker"|
"sender", "text", "time"|"timestamp"|"start", "end"?}]}`; ASR transcripts `{"segments": [{"start", "end",
"text", "speaker"}]}` (WhisperX, faster-whisper); AWS Transcribe Call Analytics / Contact Lens
`{"Transcript": [{"ParticipantRole"|"ParticipantId", "Content", "BeginOffsetMillis", "EndOffsetMillis"}]}`.
The last two are channel "voice", with start/end offsets in seconds; a label like SPEAKER_00 has role
"unknown". A turn that cannot be read is a Problem and the rest of the conversation is kept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from callscope.channels.source import EPOCH_SECONDS, in_time_order, load_text, parse_time, role_of
from callscope.channels.thread import Message, Problem, Reading, Thread
from callscope.config import ChannelSettings

CHANNELS = ("voice", "chat", "email", "survey")
ID_KEYS = ("id", "conversation_id", "call_id", "chat_id", "ContactId", "JobName")
TURN_LISTS = ("turns", "messages", "segments", "Transcript")
ROLE_KEYS = ("role", "speaker", "sender", "ParticipantRole", "ParticipantId")
TEXT_KEYS = ("text", "content", "message", "body", "Content")
TIME_KEYS = ("BeginOffsetMillis", "start", "time", "timestamp", "sent_at")


def read_conversation_json(path: Path, settings: ChannelSettings) -> Reading:
    """Threads in file order; key: the conversation's id, else `line-<n>` (.jsonl), `item-<n>` (a list)
    or the file name (one object)."""
    text = load_text(path)
    if isinstance(text, Problem):
        return Reading(problems=[text])
    reading, keys = Reading(), set()
    for line, fallback, item in _items(path, text, reading):
        if not isinstance(item, dict):
            reading.problems.append(Problem(path, f"a conversation must be a JSON object, not {type(item).__name__}",
                                            line))
            continue
        thread = _conversation(path, line, fallback, item, settings, reading.problems)
        if thread is None:
            continue
        if thread.key in keys:
            reading.problems.append(Problem(path, f"conversation id {thread.key!r} given twice", line))
            continue
        keys.add(thread.key)
        reading.threads.append(thread)
    return reading


def _items(path: Path, text: str, reading: Reading) -> Iterator[tuple[int | None, str, object]]:
    """(line, fallback key, conversation) for each conversation; JSON errors go to reading.problems."""
    if path.suffix.lower() == ".jsonl":
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    yield number, f"line-{number}", json.loads(line)
                except json.JSONDecodeError as exc:
                    reading.problems.append(Problem(path, f"not valid JSON ({exc.msg}, column {exc.colno})", number))
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        reading.problems.append(Problem(path, f"not valid JSON ({exc.msg}, column {exc.colno})", exc.lineno))
        return
    except RecursionError:
        reading.problems.append(Problem(path, "JSON nested too deeply"))
        return
    if isinstance(data, dict) and isinstance(data.get("conversations"), list):
        data = data["conversations"]
    if isinstance(data, list):
        yield from ((None, f"item-{index}", item) for index, item in enumerate(data, 1))
    else:
        yield None, path.stem, data


def _conversation(path: Path, line: int | None, fallback: str, item: dict, settings: ChannelSettings,
                  problems: list[Problem]) -> Thread | None:
    key = next((str(item[name]) for name in ID_KEYS if item.get(name) not in (None, "")), fallback)
    where = f"conversation {key}"
    turns_key = next((name for name in TURN_LISTS if isinstance(item.get(name), list)), None)
    if turns_key is None:
        problems.append(Problem(path, f"{where}: no list of turns ({', '.join(TURN_LISTS)})", line))
        return None
    timed = turns_key in ("segments", "Transcript")
    channel = item.get("channel") or item.get("Channel") or ("voice" if timed else "chat")
    channel = str(channel).lower()
    warnings = []
    if channel not in CHANNELS:
        warnings.append(f"{path}: {where}: channel {channel!r} is not one of {', '.join(CHANNELS)}; read as chat")
        channel = "chat"
    messages = []
    for number, turn in enumerate(item[turns_key], 1):
        message = _turn(turn, line, settings)
        if isinstance(message, str):
            problems.append(Problem(path, f"{where}: turn {number}: {message}", line))
        elif message is not None:
            messages.append(message)
    started_at, ordered = in_time_order(messages)
    if not ordered:
        warnings.append(f"{path}: {where} has no messages")
    return Thread(path, key, channel, ordered, _text(item.get("customer_id")), _text(item.get("agent")),
                  started_at, warnings=tuple(warnings), line=line)


def _turn(turn: object, line: int | None, settings: ChannelSettings) -> Message | str | None:
    """The message of one turn, None for a turn without text, or why it cannot be read."""
    if not isinstance(turn, dict):
        return f"a turn must be a JSON object, not {type(turn).__name__}"
    text = next((turn[name] for name in TEXT_KEYS if isinstance(turn.get(name), str)), "").strip()
    if not text:
        return None
    speaker = next((str(turn[name]) for name in ROLE_KEYS if turn.get(name) not in (None, "")), "")
    author = str(turn.get("name") or turn.get("author") or speaker)
    try:
        sent_at, start, end = _times(turn)
    except ValueError as exc:
        return str(exc)
    return Message(role_of(speaker, settings), text, author, sent_at, start, end, line)


def _times(turn: dict) -> tuple:
    """(sent_at, start, end): offsets in seconds for timed turns (AWS milliseconds, `start`/`end`, a number
    below EPOCH_SECONDS), else the wall-clock time it gives. Raises ValueError naming the bad value."""
    name = next((key for key in TIME_KEYS if turn.get(key) is not None), None)
    if name is None:
        return None, None, None
    value, per_second = turn[name], 1000 if name == "BeginOffsetMillis" else 1
    end = turn.get("EndOffsetMillis" if per_second == 1000 else "end")
    try:
        if per_second == 1000 or (isinstance(value, (int, float)) and not isinstance(value, bool)
                                  and value < EPOCH_SECONDS):
            return None, float(value) / per_second, None if end is None else float(end) / per_second
        return parse_time(value), None, None
    except (TypeError, ValueError):
        raise ValueError(f"{name} {value!r} is not a time") from None


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)
