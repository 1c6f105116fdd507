"""Chat CSV exports: column aliases and mapping, roles, interleaved rows, bad rows, encodings, size."""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from callscope.channels.read import read_text_input
from callscope.config import ChannelSettings, load_settings

SETTINGS = ChannelSettings()


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_aliases_roles_and_interleaved_rows(tmp_path: Path):
    path = write_csv(tmp_path / "chats.csv", ["Chat_ID", "Time", "Author", "Text", "customer_id"], [
        ["c2", "2026-03-01 10:05:00", "visitor", "hello, my card was refused", "cust-9"],
        ["c1", "2026-03-01T09:00:00Z", "bot", "Hi! How can I help?", "cust-1"],
        ["c1", "2026-03-01T09:00:30Z", "Customer", "Where is my parcel?", ""],
        ["c2", "2026-03-01 10:06:10", "operator", "Let me check that for you", ""],
        ["c1", "2026-03-01T09:01:00Z", "system", "Transferred to an agent", ""],
        ["c1", "2026-03-01T09:02:15Z", "agent", "It ships tomorrow", ""],
    ])
    reading = read_text_input(path, SETTINGS)
    assert reading.problems == []
    assert [t.key for t in reading.threads] == ["c1", "c2"]           # ordered by first message
    c1, c2 = reading.threads
    assert [m.role for m in c1.messages] == ["bot", "customer", "system", "agent"]
    assert [m.start for m in c1.messages] == [0.0, 30.0, 60.0, 135.0]
    assert c1.started_at == datetime(2026, 3, 1, 9, tzinfo=timezone.utc)
    assert (c1.channel, c1.customer_id, c1.line) == ("chat", "cust-1", 3)
    assert [(m.role, m.line, m.start) for m in c2.messages] == [("customer", 2, 0.0), ("agent", 5, 70.0)]


def test_mapping_from_the_config_file(tmp_path: Path):
    config = tmp_path / "my.yaml"
    config.write_text("channels:\n  chat_mapping: {Ticket: conversation_id, Said: message, Who: sender, When: timestamp}\n"
                      "  senders: {agent: [northwind]}\n")
    settings = load_settings(config).channels
    path = write_csv(tmp_path / "export.csv", ["Ticket", "Who", "Said", "When"], [
        ["T1", "Northwind", "Good morning", "1772355600"],
        ["T1", "Anna", "Hi, I was charged twice", "1772355660"],
    ])
    reading = read_text_input(path, settings)
    assert reading.problems == []
    [thread] = reading.threads
    assert [(m.role, m.author, m.start) for m in thread.messages] == [("agent", "Northwind", 0.0),
                                                                     ("unknown", "Anna", 60.0)]
    assert thread.started_at == datetime.fromtimestamp(1772355600, timezone.utc)
    assert read_text_input(path, SETTINGS).threads == []                # without the mapping: not a chat


def test_bad_rows_are_reported_with_their_line_and_the_rest_is_read(tmp_path: Path):
    path = tmp_path / "chats.csv"
    path.write_text("conversation_id,timestamp,sender,message\n"
                    "a,2026-03-01 10:00:00,customer,first\n"
                    "a,yesterday at noon,agent,lost\n"
                    ",2026-03-01 10:00:05,agent,no id\n"
                    "a,2026-03-01 10:00:09,agent,\"two\nlines\"\n"
                    "b,2026-03-01 11:00:00,customer,too,many,fields\n"
                    "b,2026-03-01 11:00:02,customer,fine\n", encoding="utf-8")
    reading = read_text_input(path, SETTINGS)
    assert [str(p) for p in reading.problems] == [
        f"{path}: line 3: timestamp 'yesterday at noon' is not a date and time",
        f"{path}: line 4: no conversation id",
        f"{path}: line 7: 6 fields where the header has 4 (a comma or quote not escaped?)",
    ]
    a, b = reading.threads
    assert [m.text for m in a.messages] == ["first", "two\nlines"]
    assert [m.text for m in b.messages] == ["fine"] and b.messages[0].line == 8


def test_windows_1252_file_and_empty_conversation(tmp_path: Path):
    path = write_csv(tmp_path / "excel.csv", ["conversation_id", "sender", "message"], [
        ["x", "customer", "Je n'ai pas reçu ma commande, c'est très décevant"],
        ["y", "agent", ""],
    ], encoding="cp1252")
    reading = read_text_input(path, SETTINGS)
    x, y = reading.threads
    assert x.messages[0].text == "Je n'ai pas reçu ma commande, c'est très décevant"
    assert x.messages[0].start is None and x.started_at is None          # no timestamp column
    assert y.messages == () and y.warnings == (f"{path}: line 3: conversation y has no messages",)


def test_undecodable_file_is_one_problem(tmp_path: Path):
    path = tmp_path / "broken.csv"
    path.write_bytes(b"conversation_id,sender,message\nx,customer,\x81\x8d\x8f\x90\x9d\n")
    reading = read_text_input(path, SETTINGS)
    assert reading.threads == []
    assert [str(p) for p in reading.problems] == [f"{path}: line 2: neither UTF-8 nor Windows-1252 text (byte 0x81)"]


def test_three_thousand_interleaved_conversations(tmp_path: Path):
    rng = random.Random(7)
    start = datetime(2026, 1, 1, 8)
    rows = [[f"conv-{c:04d}", (start + timedelta(minutes=c, seconds=20 * m)).isoformat(sep=" "),
             "agent" if m % 2 else "customer", f"message {m} of {c}"] for c in range(3000) for m in range(6)]
    rng.shuffle(rows)
    path = write_csv(tmp_path / "big.csv", ["conversation_id", "sent_at", "sender", "body"], rows)
    reading = read_text_input(path, SETTINGS)
    assert reading.problems == []
    assert [t.key for t in reading.threads] == [f"conv-{c:04d}" for c in range(3000)]
    assert all([m.text for m in t.messages] == [f"message {m} of {t.key[5:].lstrip('0') or '0'}" for m in range(6)]
               for t in reading.threads)
    assert all([m.start for m in t.messages] == [0.0, 20.0, 40.0, 60.0, 80.0, 100.0] for t in reading.threads)
    assert len({t.content_hash() for t in reading.threads}) == 3000


def test_role_from_another_sender_column_when_the_sender_is_a_name(tmp_path: Path):
    path = write_csv(tmp_path / "named.csv", ["conversation_id", "author", "role", "text", "agent"], [
        ["k", "Anna Smith", "end_user", "I was charged twice", ""],
        ["k", "Tom", "", "Sorry about that", "Tom"],
        ["k", "Chatty", "virtual_agent", "Anything else?", ""],
    ])
    [thread] = read_text_input(path, SETTINGS).threads
    assert [(m.role, m.author) for m in thread.messages] == [("customer", "Anna Smith"), ("agent", "Tom"),
                                                            ("bot", "Chatty")]
    assert thread.agent == "Tom"


def test_day_first_dates_are_read_when_a_day_above_12_shows_the_order(tmp_path: Path):
    path = write_csv(tmp_path / "chats.csv", ["conversation_id", "timestamp", "sender", "message"], [
        ["a", "03/12/2026 14:05", "customer", "hello"],          # ambiguous alone: 3 December, as 25/12 shows
        ["a", "03/12/2026 14:07:30", "agent", "hi"],
        ["b", "25/12/2026 09:00", "customer", "merry"],
    ])
    reading = read_text_input(path, SETTINGS)
    assert reading.problems == []
    a, b = reading.threads
    assert a.started_at == datetime(2026, 12, 3, 14, 5) and [m.start for m in a.messages] == [0.0, 150.0]
    assert b.started_at == datetime(2026, 12, 25, 9)


def test_an_ambiguous_date_column_follows_channels_day_first(tmp_path: Path):
    path = write_csv(tmp_path / "chats.csv", ["conversation_id", "timestamp", "sender", "message"], [
        ["a", "03/04/2026 10:00", "customer", "hello"], ["a", "03/04/2026 10:01", "agent", "hi"]])
    assert read_text_input(path, SETTINGS).threads[0].started_at == datetime(2026, 3, 4, 10)
    day_first = ChannelSettings(day_first=True)
    assert read_text_input(path, day_first).threads[0].started_at == datetime(2026, 4, 3, 10)
    config = tmp_path / "my.yaml"
    config.write_text("channels:\n  day_first: true\n")
    assert load_settings(config).channels.day_first is True


def test_a_month_first_column_and_unreadable_dates_are_reported_by_line(tmp_path: Path):
    path = write_csv(tmp_path / "chats.csv", ["conversation_id", "timestamp", "sender", "message"], [
        ["a", "12/25/2026 10:00", "customer", "month first: 25 is a day"],
        ["a", "12/03/2026 10:05", "agent", "so this is 3 December"],
        ["a", "12/31/2026 10:00", "customer", "month first again"],
        ["b", "13/13/2026 10:00", "customer", "no month 13"],
        ["b", "31.12.2026 10:00", "customer", "day-first, but the column is month-first"],
    ])
    reading = read_text_input(path, ChannelSettings(day_first=True))
    assert [str(p) for p in reading.problems] == [
        f"{path}: line 5: timestamp '13/13/2026 10:00' is not a date and time",
        f"{path}: line 6: timestamp '31.12.2026 10:00' is not a date and time"]      # 2 month-first dates to 1
    [a] = reading.threads
    assert [m.sent_at for m in a.messages] == [datetime(2026, 12, 3, 10, 5), datetime(2026, 12, 25, 10),
                                               datetime(2026, 12, 31, 10)]
