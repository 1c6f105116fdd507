"""`callscope run` end to end with the real tiny.en model: bad inputs, reruns, duplicates (a killed run: test_store.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from callscope.batch import BatchRunner
from callscope.cli import app
from callscope.errors import EXIT_SOME_FAILED
from callscope.conversation import SCHEMA_VERSION
from callscope.manifest import Manifest
from callscope.pipeline.audio import load_audio
from tests.conftest import sample_audio, write_wav

pytestmark = pytest.mark.slow     # loads a speech model

CLIPS = ["parcel_late", "refund_request", "lost_card", "password_reset"]


def clip(call_id: str, folder: Path, seconds: float = 12.0) -> Path:
    """The first seconds of a sample call as a 16 kHz WAV (both channels kept)."""
    audio = load_audio(sample_audio(call_id), "sha")
    samples = np.stack([t[: int(seconds * 16000)] for t in audio.tracks])
    return write_wav(folder / f"{call_id}.wav", samples)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    for call_id in CLIPS:
        clip(call_id, folder)
    return folder


def bad_inputs(folder: Path) -> None:
    """The classic broken inputs of a nightly batch."""
    (folder / "zero.wav").write_bytes(b"")
    (folder / "notes.wav").write_text("not audio at all\n" * 50)
    full = (folder / "parcel_late.wav").read_bytes()
    (folder / "truncated.wav").write_bytes(full[: len(full) // 3])
    rng = np.random.default_rng(1)
    write_wav(folder / "silence.wav", (rng.standard_normal(16000 * 8) * 1e-4).astype(np.float32))
    one_second = load_audio(folder / "refund_request.wav", "sha").tracks[0][16000 * 2: 16000 * 3]
    write_wav(folder / "one_second.wav", one_second)


def comparable(out: Path) -> dict[str, str]:
    """Output files with the per-run fields (creation time, timings) blanked."""
    files = {}
    for path in sorted(out.iterdir()):
        if path.name.startswith(".") or path.name == "manifest.json" or path.name.startswith("callscope.duckdb") or path.is_dir():
            continue
        text = path.read_text()
        if path.suffix == ".json":
            data = json.loads(text)
            data["processing"].pop("created_at")
            data["processing"].pop("seconds")
            text = json.dumps(data, sort_keys=True)
        files[path.name] = text
    return files


def test_bad_inputs_end_as_per_file_errors_and_rerun_skips(tmp_path, clips, fast_settings):
    inputs = tmp_path / "in"
    shutil.copytree(clips, inputs)
    bad_inputs(inputs)
    out = tmp_path / "out"
    summary = BatchRunner(fast_settings, out).run([inputs])
    assert summary.exit_code == EXIT_SOME_FAILED
    failures = dict(summary.failures)
    assert set(failures) == {"zero", "notes"}
    assert failures["zero"].endswith("zero.wav: empty file (0 bytes)")
    assert "notes.wav: not a readable audio file" in failures["notes"]
    records = Manifest.load(out).files
    assert records["silence"].status == "ok" and records["silence"].warnings == ["no speech detected"]
    assert json.loads((out / "silence.json").read_text())["utterances"] == []
    assert records["truncated"].status == "ok" and "truncated" in records["truncated"].warnings[0]
    assert records["one_second"].status == "ok"
    assert all(records[c].status == "ok" and (out / f"{c}.srt").exists() for c in CLIPS)
    conversation = json.loads((out / "parcel_late.json").read_text())
    assert conversation["schema_version"] == SCHEMA_VERSION and conversation["source"]["layout"] == "stereo"
    assert {u["role"] for u in conversation["utterances"]} == {"agent", "customer"}

    again = BatchRunner(fast_settings, out).run([inputs])
    assert again.processed == 0 and again.skipped == 7 and len(again.failures) == 2
    assert len(Manifest.load(out).runs) == 2


def test_copies_of_a_recording_are_not_counted_twice(tmp_path, clips, fast_settings):
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(clips / "lost_card.wav", inputs / "a.wav")
    shutil.copy(clips / "lost_card.wav", inputs / "b.wav")
    summary = BatchRunner(fast_settings, tmp_path / "out").run([inputs])
    assert (summary.processed, summary.duplicates) == (1, 1)
    record = Manifest.load(tmp_path / "out").files["b"]
    assert record.status == "duplicate" and record.duplicate_of == "a"
    assert not (tmp_path / "out" / "b.json").exists()


def test_changed_settings_or_content_are_processed_again(tmp_path, clips, fast_settings):
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(clips / "lost_card.wav", inputs / "call.wav")
    out = tmp_path / "out"
    BatchRunner(fast_settings, out).run([inputs])
    shutil.copy(clips / "refund_request.wav", inputs / "call.wav")
    assert BatchRunner(fast_settings, out).run([inputs]).processed == 1
    other = fast_settings.model_copy(deep=True)
    other.asr.beam_size = 1
    assert BatchRunner(other, out).run([inputs]).processed == 1


def cli(*args: str):
    """The command in this process (CliRunner): loaded models are shared between runs."""
    return CliRunner().invoke(app, list(args))


def test_exit_codes_and_one_line_errors(tmp_path, clips):
    missing = cli("run", str(tmp_path / "nope"), "--out", str(tmp_path / "o"))
    assert missing.exit_code == 2 and "nope: no such file or folder" in missing.stderr
    bad_model = cli("run", str(clips / "lost_card.wav"), "--model", "nonsense", "--out", str(tmp_path / "o"))
    assert bad_model.exit_code == 3 and "model 'nonsense': unknown name" in bad_model.stderr
    (tmp_path / "bad.yaml").write_text("asr:\n  beam: 2\n")
    bad_config = cli("run", str(clips), "--config", str(tmp_path / "bad.yaml"), "--out", str(tmp_path / "o"))
    assert bad_config.exit_code == 2 and "bad.yaml: asr.beam: unknown key" in bad_config.stderr
    (tmp_path / "roles.yaml").write_text(f"roles:\n  examples: {tmp_path / 'absent.yaml'}\n")
    no_examples = cli("run", str(clips), "--config", str(tmp_path / "roles.yaml"), "--out", str(tmp_path / "o"))
    assert no_examples.exit_code == 2 and "absent.yaml: role examples file not found" in no_examples.stderr
