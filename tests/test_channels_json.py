"""Conversation JSON / JSONL and imported transcripts (WhisperX segments, AWS Transcribe Call Analytics)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from callscope.channels.read import read_text_input
from callscope.config import ChannelSettings

SETTINGS = ChannelSettings()


def test_jsonl_one_conversation_per_line_and_a_bad_line(tmp_path: Path):
    lines = [
        json.dumps({"id": "chat-1", "customer_id": "C7", "turns": [
            {"role": "customer", "text": "My bill is wrong", "time": "2026-02-01T10:00:00+01:00"},
            {"role": "agent", "text": "Let me look", "time": "2026-02-01T10:00:45+01:00"}]}),
        "{not json",
        "",
        json.dumps({"channel": "email", "messages": [{"speaker": "client", "content": "Bonjour"}]}),
        json.dumps({"id": "empty", "turns": []}),
        json.dumps(["a list"]),
    ]
    path = tmp_path / "conversations.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reading = read_text_input(path, SETTINGS)
    assert [str(p) for p in reading.problems] == [
        f"{path}: line 2: not valid JSON (Expecting property name enclosed in double quotes, column 2)",
        f"{path}: line 6: a conversation must be a JSON object, not list"]
    chat, mail, empty = reading.threads
    assert (chat.key, chat.channel, chat.customer_id, chat.line) == ("chat-1", "chat", "C7", 1)
    assert [(m.role, m.start) for m in chat.messages] == [("customer", 0.0), ("agent", 45.0)]
    assert chat.started_at == datetime(2026, 2, 1, 9, tzinfo=timezone.utc)
    assert (mail.key, mail.channel, mail.messages[0].role, mail.messages[0].text) == ("line-4", "email", "customer",
                                                                                      "Bonjour")
    assert empty.messages == () and empty.warnings == (f"{path}: conversation empty has no messages",)


def test_whisperx_segments_are_voice_with_unknown_roles(tmp_path: Path):
    path = tmp_path / "call-17.json"
    path.write_text(json.dumps({"segments": [
        {"start": 0.5, "end": 2.25, "text": " Thanks for calling.", "speaker": "SPEAKER_00"},
        {"start": 2.8, "end": 5.0, "text": " My router keeps dropping.", "speaker": "SPEAKER_01"},
        {"start": 5.1, "end": 5.3, "text": "  "}]}), encoding="utf-8")
    reading = read_text_input(path, SETTINGS)
    assert reading.problems == []
    [thread] = reading.threads
    assert (thread.key, thread.channel) == ("call-17", "voice")
    assert [(m.role, m.author, m.text, m.start, m.end) for m in thread.messages] == [
        ("unknown", "SPEAKER_00", "Thanks for calling.", 0.5, 2.25),
        ("unknown", "SPEAKER_01", "My router keeps dropping.", 2.8, 5.0)]


def test_aws_call_analytics_transcript(tmp_path: Path):
    path = tmp_path / "aws.json"
    path.write_text(json.dumps({"JobName": "job-42", "Transcript": [
        {"ParticipantRole": "AGENT", "Content": "Hello, Northwind.", "BeginOffsetMillis": 120, "EndOffsetMillis": 1850},
        {"ParticipantRole": "CUSTOMER", "Content": "I want to cancel.", "BeginOffsetMillis": 2000,
         "EndOffsetMillis": 3500}]}), encoding="utf-8")
    [thread] = read_text_input(path, SETTINGS).threads
    assert (thread.key, thread.channel) == ("job-42", "voice")
    assert [(m.role, m.start, m.end) for m in thread.messages] == [("agent", 0.12, 1.85), ("customer", 2.0, 3.5)]


def test_json_list_of_conversations_with_bad_turns(tmp_path: Path):
    path = tmp_path / "export.json"
    path.write_bytes(json.dumps([
        {"conversation_id": 12, "messages": [
            {"sender": "bot", "text": "Hi", "timestamp": 1772355600},
            {"sender": "user", "text": "refund", "timestamp": "soon"},
            "just a string",
            {"sender": "assistant", "text": "Sure", "timestamp": 1772355605}]},
        {"messages": [{"sender": "agent", "text": "x"}], "channel": "sms"},
        {"id": 12, "turns": []},
        {"no": "turns"}], ensure_ascii=False).encode("utf-8-sig"))
    reading = read_text_input(path, SETTINGS)
    assert [str(p) for p in reading.problems] == [
        f"{path}: conversation 12: turn 2: timestamp 'soon' is not a time",
        f"{path}: conversation 12: turn 3: a turn must be a JSON object, not str",
        f"{path}: conversation id '12' given twice",
        f"{path}: conversation item-4: no list of turns (turns, messages, segments, Transcript)"]
    first, second = reading.threads
    assert [(m.role, m.text, m.start) for m in first.messages] == [("bot", "Hi", 0.0), ("bot", "Sure", 5.0)]
    assert (second.key, second.channel) == ("item-2", "chat")
    assert second.warnings == (f"{path}: conversation item-2: channel 'sms' is not one of voice, chat, email, survey; "
                               "read as chat",)


def test_invalid_json_file_is_one_problem_with_its_line(tmp_path: Path):
    path = tmp_path / "broken.json"
    path.write_text('{"id": "a",\n "turns": [\n  {"role": "agent" "text": "x"}]}', encoding="utf-8")
    reading = read_text_input(path, SETTINGS)
    assert reading.threads == []
    assert [str(p) for p in reading.problems] == [f"{path}: line 3: not valid JSON (Expecting ',' delimiter, column 20)"]


def test_cp1252_jsonl_is_decoded(tmp_path: Path):
    path = tmp_path / "fr.jsonl"
    path.write_bytes(json.dumps({"id": "f", "turns": [{"role": "customer", "text": "Déçu, très déçu"}]},
                                ensure_ascii=False).encode("cp1252"))
    [thread] = read_text_input(path, SETTINGS).threads
    assert thread.messages[0].text == "Déçu, très déçu"
