"""The manifest records the wall seconds of each stage of each call (what `make bench` sums up);
only which stages are recorded is checked, never how long they took."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from callscope import __version__
from callscope.batch import BatchRunner
from callscope.config import Settings
from callscope.conversation import Conversation, Processing, Source
from callscope.manifest import Manifest
from callscope.pipeline.ingest import InputFile
from tests.conftest import write_wav


class TimedProcessor:
    """Stands in for CallProcessor: a conversation with no words and the stage seconds it was given."""

    def __init__(self, seconds: dict[str, float]):
        self.seconds = seconds

    def process(self, item: InputFile, sha256: str) -> Conversation:
        source = Source(path=str(item.path), sha256=sha256, size_bytes=item.path.stat().st_size, container="wav",
                        codec="pcm_s16le", sample_rate=16000, channels=1, duration=1.0, layout="mono")
        return Conversation(id=item.call_id, source=source, duration=1.0, processing=Processing(
            callscope_version=__version__, asr_model="none", config_hash="x", created_at="2026-01-01T00:00:00+00:00",
            seconds=self.seconds))


def test_the_manifest_records_each_stage_and_the_store(tmp_path):
    (tmp_path / "in").mkdir()
    write_wav(tmp_path / "in" / "call.wav", np.zeros(16000, np.float32))
    settings = Settings()
    settings.enrich.enabled = False
    stages = {"decode": 0.1, "transcribe": 1.5, "align": 0.01}
    summary = BatchRunner(settings, tmp_path / "out", processor=lambda: TimedProcessor(stages)).run([tmp_path / "in"])
    assert summary.processed == 1
    recorded = Manifest.load(tmp_path / "out").files["call"].seconds
    assert {k: recorded[k] for k in stages} == stages
    assert set(recorded) == set(stages) | {"store"} and recorded["store"] >= 0


@pytest.mark.slow
def test_every_stage_of_the_real_pipeline_is_timed(sample_run: Path):
    """The sample calls (stereo and mono) through the default pipeline: each call's stages, in order."""
    files = Manifest.load(sample_run).files.values()
    expected = {
        "by channel": ["decode", "transcribe", "recover", "align", "enrich", "redact", "store"],
        "diarised": ["decode", "transcribe", "diarise", "recover", "align", "enrich", "redact", "store"],
    }
    paths = set()
    for record in files:
        conversation = Conversation.model_validate_json((sample_run / f"{record.id}.json").read_bytes())
        path = "by channel" if len(conversation.tracks) > 1 else "diarised"
        paths.add(path)
        assert list(record.seconds) == expected[path], record.id
        assert list(conversation.processing.seconds) == expected[path][:-1], record.id
    assert paths == set(expected)
