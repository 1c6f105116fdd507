"""Call metadata from a sidecar CSV, filename patterns and the file time; the settings that drive it."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from callscope.config import MetadataSettings, load_settings
from callscope.errors import ConfigError, InputError
from callscope.metadata import CallMetadata, MetadataResolver

PATTERN = r"(?P<date>\d{8})_(?P<time>\d{6})_(?P<queue>[a-z]+)_(?P<agent>[A-Za-z0-9]+)"


def recording(folder: Path, name: str, mtime: datetime | None = None) -> Path:
    path = folder / name
    path.write_bytes(b"RIFF")
    if mtime:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def test_filename_pattern_gives_time_queue_and_agent(tmp_path):
    path = recording(tmp_path, "20261117_093012_billing_A07.wav")
    meta = MetadataResolver(MetadataSettings(filename_patterns=[PATTERN])).resolve("20261117_093012_billing_A07", path)
    assert meta == CallMetadata(call_time=datetime(2026, 11, 17, 9, 30, 12), queue="billing", agent="A07",
                                channel="voice")


def test_sidecar_wins_and_the_file_name_fills_the_gaps(tmp_path):
    sidecar = tmp_path / "calls.csv"
    sidecar.write_text("call_id,file,date,time,queue,team,customer_id,channel\n"
                       "call-1,,2026-11-20,14:05,retention,North,C001,\n"
                       ",20261117_093012_billing_A07.wav,,,,South,C002,chat\n")
    resolver = MetadataResolver(MetadataSettings(sidecar=str(sidecar), filename_patterns=[PATTERN], channel="voice"))
    by_id = resolver.resolve("call-1", recording(tmp_path, "20261101_080000_orders_B02.wav"))
    assert by_id == CallMetadata(call_time=datetime(2026, 11, 20, 14, 5), queue="retention", agent="B02",
                                 team="North", customer_id="C001", channel="voice")
    by_file = resolver.resolve("other-id", recording(tmp_path, "20261117_093012_billing_A07.wav"))
    assert by_file == CallMetadata(call_time=datetime(2026, 11, 17, 9, 30, 12), queue="billing", agent="A07",
                                   team="South", customer_id="C002", channel="chat")


def test_no_date_anywhere_falls_back_to_the_file_time(tmp_path):
    when = datetime(2026, 3, 4, 5, 6, 7)
    path = recording(tmp_path, "random-name.wav", when)
    resolver = MetadataResolver(MetadataSettings(filename_patterns=[PATTERN]))
    assert resolver.resolve("random-name", path) == CallMetadata(call_time=when, channel="voice")
    assert resolver.explicit("random-name", path) == CallMetadata()
    assert resolver.resolve("gone", tmp_path / "missing.wav").call_time is None


def test_full_timestamps_and_basic_iso_forms_are_read(tmp_path):
    sidecar = tmp_path / "calls.csv"
    sidecar.write_text("call_id,call_time\na,2026-11-20T14:05:09\nb,20261120T140509\nc,2026-11-20 14:05\n")
    resolver = MetadataResolver(MetadataSettings(sidecar=str(sidecar)))
    times = {cid: resolver.explicit(cid, tmp_path / f"{cid}.wav").call_time for cid in "abc"}
    assert times == {"a": datetime(2026, 11, 20, 14, 5, 9), "b": datetime(2026, 11, 20, 14, 5, 9),
                     "c": datetime(2026, 11, 20, 14, 5)}


@pytest.mark.parametrize("text, expected", [
    ("name,queue\nx,billing\n", "line 1: expected columns call_id and/or file; found name, queue"),
    ("call_id,date\na,2026-11-20\nb,20/11/2026\n", "line 3: Invalid isoformat string: '20/11/2026'"),
    ("call_id,date,time\na,2026-11-20,25h\n", "line 2: time '25h' is not HH:MM[:SS] or HHMM[SS]"),
])
def test_bad_sidecar_is_one_line_naming_file_and_line(tmp_path, text, expected):
    sidecar = tmp_path / "calls.csv"
    sidecar.write_text(text)
    with pytest.raises(ConfigError) as raised:
        MetadataResolver(MetadataSettings(sidecar=str(sidecar)))
    assert str(raised.value) == f"metadata file {sidecar}: {expected}"
    with pytest.raises(ConfigError, match="metadata file .*nope.csv: cannot read"):
        MetadataResolver(MetadataSettings(sidecar=str(tmp_path / "nope.csv")))


def test_a_file_name_with_a_bad_date_is_reported_and_can_be_skipped(tmp_path):
    path = recording(tmp_path, "20261399_093012_billing_A07.wav", datetime(2026, 1, 2))
    resolver = MetadataResolver(MetadataSettings(filename_patterns=[PATTERN]))
    with pytest.raises(InputError, match="20261399_093012_billing_A07.wav: file name matches"):
        resolver.resolve("x", path)
    assert resolver.resolve("x", path, patterns=False).call_time == datetime(2026, 1, 2)


@pytest.mark.parametrize("yaml_text, expected", [
    ("metadata:\n  filename_patterns: ['(?P<date>\\d{8']\n", "metadata.filename_patterns: Value error"),
    ("metadata:\n  filename_patterns: ['(?P<shop>[a-z]+)']\n", "named groups must be among"),
    ("metadata:\n  channel: fax\n", "metadata.channel: Input should be"),
    ("corpus:\n  repeat_days: 0\n", "corpus.repeat_days: Input should be greater than or equal to 1"),
])
def test_bad_metadata_settings_name_the_key(tmp_path, yaml_text, expected):
    path = tmp_path / "my.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert str(raised.value).startswith(f"{path}: ") and expected in str(raised.value)


def test_metadata_and_corpus_settings_do_not_force_reprocessing():
    plain = load_settings()
    changed = plain.model_copy(deep=True)
    changed.metadata.filename_patterns = [PATTERN]
    changed.corpus.repeat_days = 30
    assert changed.fingerprint() == plain.fingerprint()
