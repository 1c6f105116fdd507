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


SAMPLE_RUN_FILES = ("test_cluster.py", "test_sample_calls.py", "test_stage_seconds.py", "test_text_pipeline.py",
                    "test_transcribe.py")


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """`make test` (`-n 2 --dist loadfile`): each file runs on one worker, so module fixtures are built once,
    and the files that read `sample_run` (SAMPLE_RUN_FILES) share one worker, which writes it: the other
    worker never waits on its lock."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SampleRunTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::", 1)[0]
            return "sample_run" if Path(file).name in SAMPLE_RUN_FILES else file

    return SampleRunTogether(config, log)


def pytest_collection_modifyitems(items) -> None:
    """SAMPLE_RUN_FILES must name every file with a test that reads `sample_run`."""
    missing = sorted({item.path.name for item in items
                      if "sample_run" in getattr(item, "fixturenames", ()) and item.path.name not in SAMPLE_RUN_FILES})
    if missing:
        raise pytest.UsageError(f"tests/conftest.py: add {', '.join(missing)} to SAMPLE_RUN_FILES (they read sample_run)")


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
    run: under pytest-xdist (`make test`) the files that need it share one worker (SAMPLE_RUN_FILES); the
    lock keeps any other run correct. Tests only read this folder."""
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
