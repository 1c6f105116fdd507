"""Finding recordings, and call ids that stay with their recording (added, renamed, moved, replaced)."""

import os
from pathlib import Path

from callscope.manifest import FileRecord, Manifest
from callscope.pipeline.ingest import MAX_ID_BYTES, discover, safe_id

EXTENSIONS = [".wav", ".mp3", ".flac"]


def touch(path: Path, content: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def ids(found, manifest: Manifest | None = None, sha: dict[Path, str] | None = None) -> dict[str, str]:
    """file name -> final call id, as a run gives them."""
    sha = sha or {}
    items = [(f.path, f.call_id, sha.get(f.path, "")) for f in found.files]
    return {path.name: call_id for (path, _, _), call_id in zip(items, (manifest or Manifest()).assign_ids(items))}


def record(manifest: Manifest, call_id: str, path: Path, sha256: str = "", status: str = "ok") -> None:
    manifest.files[call_id] = FileRecord(id=call_id, path=str(path), sha256=sha256, size_bytes=1, status=status,
                                         config_hash="c", run_id="r", processed_at="t")


def test_folders_are_searched_recursively_with_stable_ids(tmp_path: Path):
    touch(tmp_path / "a.wav")
    touch(tmp_path / "2026" / "11" / "b.WAV")
    touch(tmp_path / "notes.txt")
    touch(tmp_path / ".hidden" / "c.wav")
    found = discover([tmp_path], EXTENSIONS)
    assert [f.call_id for f in found.files] == ["2026__11__b", "a"]
    assert not found.missing and not found.unreadable


def test_clashing_ids_get_the_extension(tmp_path: Path):
    touch(tmp_path / "call.wav")
    touch(tmp_path / "call.mp3")
    assert sorted(ids(discover([tmp_path], EXTENSIONS)).values()) == ["call", "call-wav"]


def test_file_given_twice_is_listed_once_and_explicit_files_need_no_known_extension(tmp_path: Path):
    odd = touch(tmp_path / "recording.dat")
    assert [f.call_id for f in discover([odd, odd, tmp_path], EXTENSIONS).files] == ["recording"]


def test_missing_inputs_and_dangling_links_are_entries_not_the_end(tmp_path: Path):
    touch(tmp_path / "in" / "a.wav")
    os.symlink(tmp_path / "gone.wav", tmp_path / "in" / "link.wav")
    found = discover([tmp_path / "absent.wav", tmp_path / "in"], EXTENSIONS)
    assert [f.call_id for f in found.files] == ["a"]
    reasons = {item.call_id: reason for item, reason in found.missing}
    assert reasons == {"absent": f"{tmp_path / 'absent.wav'}: no such file or folder",
                       "link": f"{tmp_path / 'in' / 'link.wav'}: broken symbolic link (to {tmp_path / 'gone.wav'})"}


def test_an_id_stays_with_its_recording_when_another_is_added(tmp_path: Path):
    wav = touch(tmp_path / "call.wav")
    manifest = Manifest()
    record(manifest, "call", wav, "sha-wav")
    touch(tmp_path / "call.flac")       # sorts first: it used to take `call` from call.wav
    assert ids(discover([tmp_path], EXTENSIONS), manifest) == {"call.flac": "call-flac", "call.wav": "call"}


def test_a_renamed_or_moved_recording_keeps_its_id_and_a_removed_one_keeps_its_name(tmp_path: Path):
    manifest = Manifest()
    record(manifest, "call", tmp_path / "call.wav", "sha-a")      # renamed since: call.wav is gone
    record(manifest, "old", tmp_path / "old.wav", "sha-b")        # removed: nobody else may take `old`
    renamed = touch(tmp_path / "2026" / "renamed.wav")
    newcomer = touch(tmp_path / "old.mp3")
    got = ids(discover([tmp_path], EXTENSIONS), manifest, {renamed: "sha-a", newcomer: "sha-new"})
    assert got == {"renamed.wav": "call", "old.mp3": "old-mp3"}


def test_a_copy_beside_its_original_is_not_taken_for_a_move(tmp_path: Path):
    original = touch(tmp_path / "a.wav")
    manifest = Manifest()
    record(manifest, "a", original, "same")
    copy = touch(tmp_path / "b.wav")
    assert ids(discover([tmp_path], EXTENSIONS), manifest, {original: "same", copy: "same"}) == {"a.wav": "a", "b.wav": "b"}


def test_a_replaced_recording_keeps_its_id(tmp_path: Path):
    wav = touch(tmp_path / "call.wav")
    manifest = Manifest()
    record(manifest, "call", wav, "old-content")
    assert ids(discover([tmp_path], EXTENSIONS), manifest, {wav: "new-content"}) == {"call.wav": "call"}


def test_reserved_names_never_become_ids(tmp_path: Path):
    for name in ("manifest", "callscope", "reports", "topics", "Manifest", "export"):
        touch(tmp_path / f"{name}.wav")
    got = ids(discover([tmp_path], EXTENSIONS))
    assert got == {"manifest.wav": "manifest-wav", "callscope.wav": "callscope-wav", "reports.wav": "reports-wav",
                   "topics.wav": "topics-wav", "Manifest.wav": "Manifest-wav", "export.wav": "export-wav"}
    manifest = Manifest()
    record(manifest, "manifest", tmp_path / "manifest.wav")        # written by an older version: not kept
    assert ids(discover([tmp_path / "manifest.wav"], EXTENSIONS), manifest)["manifest.wav"] == "manifest-wav"


def test_long_odd_names_make_safe_ids():
    long = safe_id("x" * 240)
    assert len(long.encode()) == MAX_ID_BYTES and long != safe_id("x" * 239)
    assert len(safe_id("é" * 200).encode()) <= MAX_ID_BYTES
    assert safe_id("line\nbreak\ttab") == "line_break_tab" and safe_id(".hidden") == "hidden"
    assert safe_id("with spaces") == "with spaces"


def test_linked_folders_are_followed_once(tmp_path: Path):
    touch(tmp_path / "real" / "a.wav")
    os.symlink(tmp_path / "real", tmp_path / "real" / "loop")       # a cycle must not be walked for ever
    os.symlink(tmp_path / "real", tmp_path / "alias")
    found = discover([tmp_path], EXTENSIONS)
    assert [f.path for f in found.files] == [tmp_path / "real" / "a.wav"]
