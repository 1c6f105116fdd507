from pathlib import Path

import pytest

from callscope.errors import CallscopeError
from callscope.pipeline.ingest import discover

EXTENSIONS = [".wav", ".mp3"]


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_folders_are_searched_recursively_with_stable_ids(tmp_path: Path):
    touch(tmp_path / "a.wav")
    touch(tmp_path / "2026" / "11" / "b.WAV")
    touch(tmp_path / "notes.txt")
    touch(tmp_path / ".hidden" / "c.wav")
    files = discover([tmp_path], EXTENSIONS)
    assert [f.call_id for f in files] == ["2026__11__b", "a"]


def test_clashing_ids_get_the_extension(tmp_path: Path):
    touch(tmp_path / "call.wav")
    touch(tmp_path / "call.mp3")
    assert sorted(f.call_id for f in discover([tmp_path], EXTENSIONS)) == ["call", "call-wav"]


def test_file_given_twice_is_listed_once_and_explicit_files_need_no_known_extension(tmp_path: Path):
    odd = touch(tmp_path / "recording.dat")
    files = discover([odd, odd, tmp_path], EXTENSIONS)
    assert [f.call_id for f in files] == ["recording"]


def test_missing_input_is_a_clear_error(tmp_path: Path):
    with pytest.raises(CallscopeError, match="absent.wav: no such file or folder"):
        discover([tmp_path / "absent.wav"], EXTENSIONS)
