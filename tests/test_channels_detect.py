"""Recognising text inputs by extension and content."""

from __future__ import annotations

from pathlib import Path

import pytest

from callscope.channels.detect import KINDS_HELP, text_kind
from callscope.channels.read import read_text_input
from callscope.config import ChannelSettings


@pytest.mark.parametrize(("name", "content", "kind"), [
    ("chats.csv", b"\xef\xbb\xbfChat_ID,Author,Message,Date\n", "chat_csv"),
    ("surveys.csv", b"call_id,nps,comment\n", "survey_csv"),
    ("answers.csv", b"conversation_id,rating,text\n", "survey_csv"),     # no sender column: not a chat
    ("other.csv", b"a,b,c\n1,2,3\n", None),
    ("conv.jsonl", b'{"id": 1}\n', "conversation_json"),
    ("conv.json", b'  [{"id": 1}]', "conversation_json"),
    ("notes.json", b"hello", None),
    ("one.eml", b"From: a@b.example\nSubject: x\n\nbody\n", "email"),
    ("archive.mbox", b"From a@b Mon Mar  2 09:00:00 2026\nFrom: a@b.example\n\nbody\n", "mbox"),
    ("Inbox", b"From a@b Mon Mar  2 09:00:00 2026\nFrom: a@b.example\n\nbody\n", "mbox"),
    ("saved", b"Received: from x\nFrom: a@b.example\n\nbody\n", "email"),
    ("call.wav", b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
    ("notes.txt", b"From the desk of the manager\n", None),
    ("memo.txt", b"From the desk of the manager\nDate: today\n\nHello", None),
])
def test_kinds(tmp_path: Path, name: str, content: bytes, kind: str | None):
    path = tmp_path / name
    path.write_bytes(content)
    assert text_kind(path) == kind
    assert kind is None or kind in KINDS_HELP


def test_a_mapped_header_makes_a_chat(tmp_path: Path):
    path = tmp_path / "export.csv"
    path.write_text("Ticket,Who,Said\n", encoding="utf-8")
    assert text_kind(path) is None
    assert text_kind(path, ChannelSettings(chat_mapping={"ticket": "conversation_id", "who": "sender",
                                                         "said": "message"})) == "chat_csv"


def test_what_is_not_a_text_input_is_one_problem(tmp_path: Path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    [problem] = read_text_input(path, ChannelSettings()).problems
    assert str(problem).startswith(f"{path}: the CSV header (a, b) names neither a chat export")
    missing = tmp_path / "missing.eml"
    assert [str(p) for p in read_text_input(missing, ChannelSettings()).problems] == [
        f"{missing}: cannot read (No such file or directory)"]


@pytest.mark.parametrize("name", ["empty.jsonl", "blank.json", "chats.csv"])
def test_a_file_without_conversations_is_a_problem(tmp_path: Path, name: str):
    path = tmp_path / name
    path.write_text({"empty.jsonl": "\n\n", "blank.json": "[]", "chats.csv": "chat_id,sender,text\n"}[name])
    reading = read_text_input(path, ChannelSettings())
    assert reading.threads == [] and [str(p) for p in reading.problems] == [f"{path}: holds no conversation"]
