"""The bad-input corpus: every case ends in one line naming the file (and line) and the reason, with its
exit code, and the rest of the batch is processed.

One batch holds every per-file case beside a short real call (`good.wav`, 5 s of a sample call) and is
processed once, with the tiny.en model, for the whole module; its exit code is 1 (some files failed) and
the good call is analysed whatever else is in the folder. Command-level cases (settings, output folder,
store, concurrent commands) fail before any model loads: `load_whisper` is replaced by a trap.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import wave
from pathlib import Path

import numpy as np
import pytest

from callscope.batch import BatchRunner, output_lock
from callscope.errors import (EXIT_SETUP, EXIT_SOME_FAILED, EXIT_USAGE, CallscopeError, ConfigError, InputError,
                              ModelError, OutputError)
from callscope.files import folder_lock, private_files
from callscope.hooks import Messages
from callscope.manifest import Manifest
from callscope.metadata import MetadataResolver
from callscope.pii.call_ids import private_call_id
from callscope.pipeline.ingest import safe_id
from callscope.reports import build_reports
from callscope.reports.build import REPORT_BUSY
from callscope.store import Store
from callscope.writers import to_rttm
from tests.conftest import write_wav

ROOT_USER = os.geteuid() == 0
LONG = "x" * 240
GOOD = "good"


def noise(path: Path, seed: int, seconds: float = 1.0, rate: int = 16000, channels: int = 2) -> Path:
    """Faint noise (no speech): decodes, transcribes to nothing, costs little."""
    rng = np.random.default_rng(seed)
    return write_wav(path, (rng.standard_normal((channels, int(seconds * rate))) * 1e-3).astype(np.float32), rate)


def eight_bit(path: Path) -> Path:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(1)
        handle.setframerate(8000)
        handle.writeframes(bytes(np.random.default_rng(3).integers(120, 136, 8000, dtype=np.uint8)))
    return path


def header_only(path: Path) -> Path:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
    return path


# name in the input folder -> (how to make it, status in the manifest, id, text of the error or warning)
PER_FILE = {
    "zero.wav": (lambda p, good: p.write_bytes(b""), "failed", "zero", "zero.wav: empty file (0 bytes)"),
    "notes.wav": (lambda p, good: p.write_text("not audio at all\n" * 50), "failed", "notes",
                  "notes.wav: not a readable audio file (Invalid data found when processing input)"),
    "random.wav": (lambda p, good: p.write_bytes(np.random.default_rng(0).bytes(20000)), "failed", "random",
                   "random.wav: not a readable audio file"),
    "garbage.mp3": (lambda p, good: p.write_bytes(b"ID3" + np.random.default_rng(1).bytes(5000)), "failed",
                    "garbage", "garbage.mp3: not a readable audio file"),
    "text.flac": (lambda p, good: p.write_text("fLaC? no\n"), "failed", "text", "text.flac: not a readable audio file"),
    "header_only.wav": (lambda p, good: header_only(p), "failed", "header_only",
                        "header_only.wav: no audio could be decoded"),
    "dangling.wav": (lambda p, good: os.symlink(p.parent / "gone.wav", p), "failed", "dangling",
                     "dangling.wav: broken symbolic link (to "),
    "truncated.wav": (lambda p, good: p.write_bytes(good.read_bytes()[: good.stat().st_size // 2]), "ok", "truncated",
                      "truncated"),
    "silence.wav": (lambda p, good: noise(p, 1, 3.0, channels=1), "ok", "silence", "no speech detected"),
    "short.wav": (lambda p, good: noise(p, 2, 0.05), "ok", "short", "no speech detected"),
    f"{LONG}.wav": (lambda p, good: noise(p, 3), "ok", safe_id(LONG), None),
    "my call.wav": (lambda p, good: noise(p, 4), "ok", "my call", None),
    "line\nbreak.wav": (lambda p, good: noise(p, 5), "ok", "line_break", None),
    "manifest.wav": (lambda p, good: noise(p, 6), "ok", "manifest-wav", None),
    "callscope.wav": (lambda p, good: noise(p, 7), "ok", "callscope-wav", None),
    "reports.wav": (lambda p, good: noise(p, 8), "ok", "reports-wav", None),
    "topics.wav": (lambda p, good: noise(p, 9), "ok", "topics-wav", None),
    "Hélène.wav": (lambda p, good: noise(p, 10), "ok", private_call_id("Hélène"), None),   # a person's name
    "réclamation_été.wav": (lambda p, good: noise(p, 13), "ok", "réclamation_été", None),
    "zz_copy_of_good.wav": (lambda p, good: shutil.copy(good, p), "duplicate", "zz_copy_of_good", None),
    "eight_khz.wav": (lambda p, good: noise(p, 11, rate=8000, channels=1), "ok", "eight_khz", None),
    "pcm8.wav": (lambda p, good: eight_bit(p), "ok", "pcm8", None),
    "six_channels.wav": (lambda p, good: noise(p, 12, channels=6), "ok", "six_channels", None),
}
MISSING = "missing.wav"            # given on the command line, absent


@pytest.fixture(scope="module")
def batch(tmp_path_factory, fast_settings):
    """The corpus folder processed once: (summary, output folder, console text, input folder)."""
    from tests.test_batch import clip

    root = tmp_path_factory.mktemp("corpus")
    inputs = root / "in"
    inputs.mkdir()
    good = clip("parcel_late", inputs, seconds=5.0).rename(inputs / f"{GOOD}.wav")
    for name, (make, *_rest) in PER_FILE.items():
        make(inputs / name, good)
    sidecar = root / "calls.csv"      # Excel's Windows-1252, and a misspelt column
    sidecar.write_bytes("call_id,agent,queu\ngood,Hélène,billing\n".encode("cp1252"))
    settings = fast_settings.model_copy(deep=True)
    settings.metadata.sidecar = str(sidecar)
    said = Messages()
    out = root / "out"
    summary = BatchRunner(settings, out, said).run([inputs, root / MISSING])
    return summary, out, said.text, inputs, settings


@pytest.mark.slow
def test_the_batch_ends_with_exit_code_1_and_the_good_call_analysed(batch):
    summary, out, console, _, _ = batch
    assert summary.exit_code == EXIT_SOME_FAILED
    record = Manifest.load(out).files[GOOD]
    assert record.status == "ok" and (out / f"{GOOD}.json").exists()
    with Store(out, read_only=True) as store:
        assert store.con.execute("SELECT agent, queue FROM conversations WHERE call_id = 'good'").fetchall() == [
            ("Hélène", None)]                              # the cp1252 sidecar decoded; `queu` is not `queue`
        assert store.scalar("SELECT count(*) FROM utterances WHERE call_id = 'good'") > 0
    assert f"calls.csv: line 1: column(s) 'queu' not used" in console


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PER_FILE))
def test_each_bad_file_is_one_line_and_the_rest_is_processed(batch, name):
    summary, out, console, inputs, _ = batch
    _, status, call_id, message = PER_FILE[name]
    records = Manifest.load(out).files
    record = records[call_id]
    assert record.status == status and Path(record.path).name == name
    assert records[GOOD].status == "ok" and summary.exit_code == EXIT_SOME_FAILED
    if status == "failed":
        assert message in record.error and "\n" not in record.error.replace(name, "")
        assert (call_id, record.error) in summary.failures and record.error in console
        assert not (out / f"{call_id}.json").exists()
    elif status == "duplicate":
        assert record.duplicate_of == GOOD
    else:
        assert (out / f"{call_id}.json").exists() and (out / f"{call_id}.rttm").exists()
        if message:
            assert any(message in warning for warning in record.warnings)


@pytest.mark.slow
def test_a_missing_input_path_is_a_failed_entry(batch):
    summary, out, console, inputs, _ = batch
    record = Manifest.load(out).files["missing"]
    assert record.status == "failed" and record.error == f"{inputs.parent / MISSING}: no such file or folder"
    assert Manifest.load(out).files[GOOD].status == "ok"


@pytest.mark.slow
def test_reserved_names_leave_the_manifest_and_store_alone(batch):
    _, out, _, _, _ = batch
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest) == {"schema_version", "files", "runs"}
    assert (out / "manifest-wav.json").exists() and (out / "callscope.duckdb").is_file()
    assert (out / "reports-wav.json").exists() and (out / "topics-wav.json").exists()


@pytest.mark.slow
def test_rttm_uri_has_no_whitespace(batch):
    _, out, _, _, _ = batch
    from callscope.conversation import Conversation

    conversation = Conversation.model_validate_json((out / f"{GOOD}.json").read_text())
    conversation.id = "my call\nwith a\tbreak"
    lines = to_rttm(conversation).splitlines()
    assert lines and all(len(line.split()) == 10 and line.split()[1] == "my_call_with_a_break" for line in lines)


@pytest.mark.slow
def test_reports_are_written_after_the_bad_batch_with_private_modes(batch, tmp_path):
    _, out, _, _, settings = batch
    written = build_reports(out / "callscope.duckdb", out / "reports", settings)
    pages = {p.name for p in written.files}
    assert {"index.html", "actions.csv"} <= pages and f"{safe_id(LONG)}.html" not in pages
    assert all(len(p.name.encode()) < 255 for p in written.files)
    for path in [out, out / "reports", out / "reports" / "calls"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    for path in [out / "callscope.duckdb", out / "manifest.json", out / f"{GOOD}.json", out / f"{GOOD}.rttm",
                 out / "reports" / "index.html", *sorted((out / "reports" / "calls").iterdir())[:3]]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    with Store(out, read_only=True) as store:
        exported = store.export(tmp_path / "export", "csv")
        shared = store.export(tmp_path / "shared", "csv", group_readable=True)
    assert {stat.S_IMODE(p.stat().st_mode) for p in exported} == {0o600}
    assert {stat.S_IMODE(p.stat().st_mode) for p in shared} == {0o640}


def test_a_batch_of_only_bad_files_writes_its_reports(tmp_path, fast_settings, monkeypatch):
    trap_models(monkeypatch)
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "zero.wav").write_bytes(b"")
    (inputs / "notes.wav").write_text("no\n")
    summary = BatchRunner(fast_settings, tmp_path / "out").run([inputs])
    assert summary.exit_code == EXIT_SOME_FAILED and summary.corpus.satisfaction["analysed"] == 0
    written = build_reports(tmp_path / "out" / "callscope.duckdb", tmp_path / "out" / "reports", fast_settings)
    assert (tmp_path / "out" / "reports" / "index.html") in written.pages


# ------------------------------------------------------------------ command-level cases: nothing is processed

def trap_models(monkeypatch) -> None:
    def loaded(*_, **__):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr("callscope.pipeline.transcribe.load_whisper", loaded)
    monkeypatch.setattr("callscope.pipeline.process.Enricher", loaded)


def run(settings, out: Path, inputs: list[Path]):
    return BatchRunner(settings, out).run(inputs)


def a_file(tmp: Path, name: str, content: bytes | str) -> Path:
    path = tmp / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def with_setting(settings, section: str, key: str, value):
    changed = settings.model_copy(deep=True)
    setattr(getattr(changed, section), key, value)
    return changed


def config(tmp: Path, text: bytes):
    from callscope.config import load_settings

    return lambda s, out, good: load_settings(a_file(tmp, "my.yaml", text))


def sidecar(tmp: Path, text: bytes):
    return lambda s, out, good: run(with_setting(s, "metadata", "sidecar", str(a_file(tmp, "calls.csv", text))),
                                    out, [good])


def surveys(tmp: Path, text: bytes):
    return lambda s, out, good: run(with_setting(s, "corpus", "surveys", str(a_file(tmp, "surveys.csv", text))),
                                    out, [good])


def lock_held(out: Path, inner):
    def case(s, _, good):
        with output_lock(out):
            inner(s, out, good)
    return case


def report_twice(out: Path):
    def case(s, _, good):
        with folder_lock(out / "reports", REPORT_BUSY):
            build_reports(out / "callscope.duckdb", out / "reports", s)
    return case


def store_of(out: Path):
    with private_files():
        Store(out).close()


def two_reports(tmp: Path):
    store_of(tmp / "o")
    return report_twice(tmp / "o")


def manifest(tmp: Path, text: str):
    (tmp / "o").mkdir()
    (tmp / "o" / "manifest.json").write_text(text)
    return lambda s, out, good: run(s, tmp / "o", [good])


CONVERSATION = '{"schema_version": "1", "id": "a", "source": {}, "utterances": []}'

# case -> (build(tmp) -> action(settings, out, good), error class, exit code, message (regex))
COMMAND = {
    "output folder is a file": (lambda t: (a_file(t, "o", "x"), lambda s, out, good: run(s, t / "o", [good]))[1],
                                OutputError, EXIT_SETUP, r"/o: is a file, not a folder$"),
    "output folder under a file": (lambda t: (a_file(t, "f", "x"),
                                              lambda s, out, good: run(s, t / "f" / "o", [good]))[1],
                                   OutputError, EXIT_SETUP, r"/f/o: cannot be created \(a part of the path is a file\)"),
    "output folder busy": (lambda t: lock_held(t / "o", lambda s, out, good: run(s, out, [good])),
                           OutputError, EXIT_SETUP, r"another callscope run is writing to this folder"),
    "two reports at once": (two_reports, OutputError, EXIT_SETUP, r"another callscope report is writing"),
    "report without a store": (lambda t: lambda s, out, good: build_reports(t / "none.duckdb", t / "r", s),
                               InputError, EXIT_USAGE, r"none.duckdb: no callscope store found"),
    "export into a file": (lambda t: (store_of(t / "o"), a_file(t, "x", "x"),
                                      lambda s, out, good: Store(t / "o", read_only=True).export(t / "x"))[2],
                           OutputError, EXIT_SETUP, r"/x: is a file, not a folder"),
    "manifest is a call's JSON": (lambda t: manifest(t, CONVERSATION), CallscopeError, EXIT_USAGE,
                                  r"manifest.json: not a callscope manifest \(no files and runs\)"),
    "manifest is not JSON": (lambda t: manifest(t, "{oops"), CallscopeError, EXIT_USAGE,
                             r"manifest.json: unreadable manifest \("),
    "config in Latin-1": (lambda t: config(t, "asr:\n  model: tiny.en\n# réglages\n".encode("latin-1")),
                          ConfigError, EXIT_USAGE, r"my.yaml: line 3: not UTF-8 \(byte 0xe9\); save the file as UTF-8"),
    "config not YAML": (lambda t: config(t, b"asr: [\n"), ConfigError, EXIT_USAGE, r"my.yaml: not valid YAML \(line"),
    "config unknown key": (lambda t: config(t, b"asr:\n  beam: 2\n"), ConfigError, EXIT_USAGE,
                           r"my.yaml: asr.beam: unknown key"),
    "config bad value": (lambda t: config(t, b"asr:\n  beam_size: 0\n"), ConfigError, EXIT_USAGE,
                         r"my.yaml: asr.beam_size: Input should be greater than or equal to 1"),
    "config not a mapping": (lambda t: config(t, b"- a\n- b\n"), ConfigError, EXIT_USAGE,
                             r"my.yaml: expected a mapping of settings at the top level"),
    "config is a folder": (lambda t: (lambda s, out, good: __import__("callscope.config").config.load_settings(t)),
                           ConfigError, EXIT_USAGE, r": config file expected, found a folder"),
    "config missing": (lambda t: (lambda s, out, good: __import__("callscope.config").config.load_settings(t / "n.yaml")),
                       ConfigError, EXIT_USAGE, r"n.yaml: config file not found"),
    "sidecar with a NUL byte": (lambda t: sidecar(t, b"call_id,qu\x00eue\ngood,x\n"), ConfigError, EXIT_USAGE,
                                r"metadata file .*calls.csv: line 1: holds a NUL byte"),
    "sidecar without a key column": (lambda t: sidecar(t, b"name,queue\ngood,x\n"), ConfigError, EXIT_USAGE,
                                     r"calls.csv: line 1: expected columns call_id and/or file; found name, queue"),
    "sidecar neither UTF-8 nor cp1252": (lambda t: sidecar(t, b"call_id,queue\ngood,\x81\x8d\n"), ConfigError,
                                         EXIT_USAGE, r"calls.csv: line 2: neither UTF-8 nor Windows-1252 text \(byte 0x81\)"),
    "sidecar bad date": (lambda t: sidecar(t, b"call_id,date\ngood,31/12/2026\n"), ConfigError, EXIT_USAGE,
                         r"calls.csv: line 2: Invalid isoformat string"),
    "sidecar missing": (lambda t: lambda s, out, good: run(with_setting(s, "metadata", "sidecar", str(t / "n.csv")),
                                                          out, [good]),
                        ConfigError, EXIT_USAGE, r"metadata file .*n.csv: cannot read \(No such file"),
    "surveys with a NUL byte": (lambda t: surveys(t, b"call_id,csat\ngood,\x004\n"), InputError, EXIT_USAGE,
                                r"surveys.csv: line 2: holds a NUL byte"),
    "surveys score out of range": (lambda t: surveys(t, b"call_id,csat\ngood,9\n"), InputError, EXIT_USAGE,
                                   r"surveys.csv: line 2: csat '9' is outside 1..5"),
    "model name unknown": (lambda t: lambda s, out, good: run(with_setting(s, "asr", "model", "nonsense"), out, [good]),
                           ModelError, EXIT_SETUP, r"model 'nonsense': unknown name"),
    "model folder without model.bin": (lambda t: lambda s, out, good: run(with_setting(s, "asr", "model", str(t)),
                                                                         out, [good]),
                                       ModelError, EXIT_SETUP, r"is not a CTranslate2 model directory \(no model.bin\)"),
    "language unknown": (lambda t: lambda s, out, good: run(with_setting(s, "asr", "language", "xx"), out, [good]),
                         ConfigError, EXIT_USAGE, r"language 'xx': not a language Whisper knows"),
    "French with an English-only model": (lambda t: lambda s, out, good: run(with_setting(s, "asr", "language", "fr"),
                                                                             out, [good]),
                                          ConfigError, EXIT_USAGE, r"model 'tiny.en' is English only"),
    "min speakers above max": (lambda t: lambda s, out, good: run(with_setting(
        with_setting(s, "speakers", "min_speakers", 3), "speakers", "max_speakers", 2), out, [good]),
        ConfigError, EXIT_USAGE, r"--min-speakers 3 is more than --max-speakers 2"),
    "taxonomy missing": (lambda t: lambda s, out, good: run(with_setting(s, "enrich", "taxonomy", str(t / "n.yaml")),
                                                           out, [good]),
                         ConfigError, EXIT_USAGE, r"n.yaml: taxonomy file not found"),
    "only missing inputs": (lambda t: lambda s, out, good: run(s, out, [t / "absent.wav"]), CallscopeError, EXIT_USAGE,
                            r"absent.wav: no such file or folder$"),
    "a folder without audio": (lambda t: lambda s, out, good: run(s, out, [t]), CallscopeError, EXIT_USAGE,
                               r"no audio files found in "),
}


@pytest.mark.parametrize("case", list(COMMAND))
def test_command_level_errors_are_one_line_with_their_exit_code_before_any_model_loads(
        case, tmp_path, fast_settings, monkeypatch):
    build, kind, code, message = COMMAND[case]
    trap_models(monkeypatch)
    good = noise(tmp_path / "call.wav", 0)
    folder = tmp_path / "case"
    folder.mkdir()
    action = build(folder)
    with pytest.raises(kind) as raised:
        action(fast_settings, tmp_path / "out", good)
    assert type(raised.value) is kind
    text = str(raised.value)
    assert "\n" not in text and "Traceback" not in text
    import re
    assert re.search(message, text), text
    assert raised.value.exit_code == code
    assert not list((tmp_path / "out").glob("*.json"))        # nothing of the batch was written


@pytest.mark.skipif(ROOT_USER, reason="root reads and writes every folder: permissions cannot be shown")
def test_unreadable_subfolders_and_files_are_reported(tmp_path):
    from callscope.pipeline.ingest import discover

    (tmp_path / "locked").mkdir()
    noise(tmp_path / "locked" / "a.wav", 0)
    os.chmod(tmp_path / "locked", 0)
    try:
        found = discover([tmp_path], [".wav"])
        assert found.unreadable == [(tmp_path / "locked", "cannot read folder (Permission denied); "
                                                          "its recordings were not processed")]
    finally:
        os.chmod(tmp_path / "locked", 0o700)


@pytest.mark.skipif(ROOT_USER, reason="root writes everywhere")
def test_an_output_folder_that_is_not_writable(tmp_path, fast_settings):
    (tmp_path / "o").mkdir()
    os.chmod(tmp_path / "o", 0o500)
    with pytest.raises(OutputError, match=r"/o: not writable \(Permission denied\)"):
        run(fast_settings, tmp_path / "o", [noise(tmp_path / "c.wav", 0)])


def test_metadata_warnings_name_the_unused_columns(tmp_path):
    from callscope.config import MetadataSettings

    path = a_file(tmp_path, "calls.csv", "file,agnet,queue\na.wav,x,y\n")
    resolver = MetadataResolver(MetadataSettings(sidecar=str(path)))
    assert resolver.warnings == [f"{path}: line 1: column(s) 'agnet' not used (known: call_id, file, queue, agent, "
                                 f"team, customer_id, channel, call_time, datetime, date, time); misspelt?"]


@pytest.mark.slow
def test_ids_stay_with_recordings_moved_added_renamed_and_removed(batch, tmp_path, monkeypatch):
    _, processed_out, _, processed_inputs, settings = batch
    trap_models(monkeypatch)                        # every change below is handled without transcribing
    inputs, out = tmp_path / "moved", tmp_path / "out"
    shutil.copytree(processed_out, out)
    processed_inputs.rename(inputs)                 # the whole folder moved: ids follow the content
    try:
        def again(*paths: Path):
            summary = BatchRunner(settings, out).run(list(paths))
            assert summary.processed == 0
            return Manifest.load(out).files

        (inputs / "header_only.wav").unlink()       # removed (it fails only when decoded: it would be tried again)
        (inputs / "good.mp3").write_bytes(b"ID3 not really")       # added beside good.wav, sorts first
        records = again(inputs)
        assert records[GOOD].status == "ok" and records[GOOD].path == str(inputs / f"{GOOD}.wav")
        assert records["good-mp3"].status == "failed" and records[safe_id(LONG)].status == "ok"
        (inputs / f"{GOOD}.wav").rename(inputs / "renamed.wav")
        records = again(inputs)
        assert "renamed" not in records and records[GOOD].path == str(inputs / "renamed.wav")
        (inputs / "renamed.wav").unlink()
        again(inputs)
        with Store(out, read_only=True) as store:           # nothing leaves the store
            assert store.scalar("SELECT count(*) FROM conversations WHERE call_id = 'good'") == 1
    finally:
        inputs.rename(processed_inputs)


def test_ids_made_from_a_callers_number_or_name_are_hashed_unless_pii_is_kept(tmp_path, fast_settings, monkeypatch):
    trap_models(monkeypatch)                        # not audio: they fail before any model loads
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("07700900123.wav", "jane-smith-complaint.wav", "20240501-143210.wav"):
        a_file(inputs, name, "not audio\n")
    run(fast_settings, tmp_path / "out", [inputs])
    ids = {Path(r.path).name: call_id for call_id, r in Manifest.load(tmp_path / "out").files.items()}
    assert ids["20240501-143210.wav"] == "20240501-143210"              # a timestamp is no personal data
    hashed = [ids["07700900123.wav"], ids["jane-smith-complaint.wav"]]
    assert all(re.fullmatch(r"call-[0-9a-f]{12}", i) for i in hashed) and len(set(hashed)) == 2
    kept = fast_settings.model_copy(deep=True)
    kept.output.redact = False
    run(kept, tmp_path / "kept", [inputs])
    assert "07700900123" in Manifest.load(tmp_path / "kept").files
