"""Shared fixtures: real bundled models, the sample calls, and generated audio."""

from __future__ import annotations

import json
import os
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from callscope.batch import BatchRunner
from callscope.config import Settings
from callscope.conversation import Conversation
from callscope.pipeline.loaded import processor_for
from callscope.pipeline.process import CallProcessor

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_audio"
SHARED = ROOT.parent / "shared" / "data"


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    """16-bit PCM WAV; `samples` is (n,) for mono or (channels, n)."""
    data = np.atleast_2d(samples)
    pcm = (np.clip(data, -1, 1) * 32767).astype("<i2").T.copy()
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(data.shape[0])
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())
    return path


def sample_calls() -> list[dict]:
    """Ground truth of every bundled sample call."""
    return [json.loads(p.read_text()) for p in sorted(SAMPLES.glob("*.json"))]


def sample_audio(call_id: str) -> Path:
    truth = json.loads((SAMPLES / f"{call_id}.json").read_text())
    return SAMPLES / truth["audio"]


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def processor(settings) -> CallProcessor:
    """The default models (multilingual Whisper base, diarisation), loaded once for the session."""
    return processor_for(settings)


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory, settings) -> Path:
    """Every sample call through the default pipeline (what `make run` does), once for the whole test
    run: under pytest-xdist (`make test`) the first worker that needs it writes it and the others wait
    for it. Tests only read this folder."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent                  # the workers' common base folder
    out, done = shared / "sample_run", shared / "sample_run.done"
    with FileLock(shared / "sample_run.lock"):
        if not done.exists():
            shutil.rmtree(out, ignore_errors=True)
            summary = BatchRunner(settings, out).run([SAMPLES])
            assert summary.exit_code == 0 and summary.processed == len(sample_calls())
            done.touch()
    return out


def conversation_of(sample_run: Path, call_id: str) -> Conversation:
    return Conversation.model_validate_json((sample_run / f"{call_id}.json").read_bytes())


@pytest.fixture(scope="session")
def fast_settings() -> Settings:
    """English-only tiny model: fast enough for end-to-end batch tests."""
    settings = Settings()
    settings.asr.model = "tiny.en"
    return settings
