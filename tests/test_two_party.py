"""Two-party prior on mono calls, end to end: one party stays one, hold music is no party.

Real speech that ships with pyannote.audio (its sample: a two-person phone-style conversation), one
speaker's solo turns passed through a telephone channel (8 kHz, G.711 mu-law); the hold music is
generated here (chords with a melody)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import soundfile

from callscope.config import Settings
from callscope.evaluation.der import load_rttm
from callscope.pipeline.audio import load_audio
from callscope.pipeline.ingest import InputFile
from callscope.pipeline.process import CallProcessor

pytestmark = pytest.mark.slow     # Whisper and the diarisation models on real speech

SAMPLE = Path(next(iter(importlib.util.find_spec("pyannote.audio").submodule_search_locations))) / "sample"
RATE = 8000


def telephone(waveform: np.ndarray) -> np.ndarray:
    """16 kHz float samples through a phone line: 8 kHz, G.711 mu-law encoded and decoded."""
    import torch
    import torchaudio.functional as F

    narrow = F.resample(torch.from_numpy(waveform)[None], 16000, RATE).clamp(-1, 1)
    return F.mu_law_decoding(F.mu_law_encoding(narrow, 256), 256)[0].numpy()


def hold_music(seconds: float) -> np.ndarray:
    """Chords (C, A minor, F, G) with a plucked melody on top, 8 kHz."""
    t = np.arange(int(seconds * RATE)) / RATE
    roots = [261.6, 220.0, 174.6, 196.0]
    music = np.zeros_like(t)
    for i, start in enumerate(np.arange(0, seconds, 1.0)):
        root = roots[i % 4]
        span = (t >= start) & (t < start + 1.0)
        local = t[span] - start
        for ratio in (1, 1.26, 1.5):
            music[span] += 0.08 * np.sin(2 * np.pi * root * ratio * local)
        music[span] += 0.12 * np.exp(-4 * local) * np.sin(2 * np.pi * root * 2 * local)
    return music.astype(np.float32)


def one_party(pause: float = 0.6) -> np.ndarray:
    """speaker91's solo turns of pyannote's sample, through a phone line, with short pauses."""
    waveform = load_audio(SAMPLE / "sample.wav", sha256="").tracks[0]
    reference = load_rttm(SAMPLE / "sample.rttm")["sample"]
    solo = reference.label_timeline("speaker91").extrude(reference.label_timeline("speaker90"))
    gap = np.zeros(int(pause * 16000), np.float32)
    return telephone(np.concatenate([np.concatenate([waveform[int(s.start * 16000):int(s.end * 16000)], gap])
                                     for s in solo if s.duration > 0.5]))


@pytest.fixture(scope="module")
def processor() -> CallProcessor:
    settings = Settings()
    settings.enrich.enabled = False
    return CallProcessor(settings)


def parties(conversation) -> dict[str, str]:
    """Role of each speaker that says something."""
    talking = {w.speaker for s in conversation.segments for w in s.words}
    return {s.id: s.role for s in conversation.speakers if s.id in talking}


def test_one_real_speaker_through_a_phone_line_stays_one_party(processor, tmp_path):
    path = tmp_path / "one_party.wav"
    soundfile.write(path, one_party(), RATE, subtype="PCM_16")
    conversation = processor.process(InputFile(path, "one_party"), sha256="")
    assert sum(len(s.words) for s in conversation.segments) > 20
    assert len(parties(conversation)) == 1, parties(conversation)


def test_hold_music_does_not_become_a_party(processor, tmp_path):
    speech = one_party()
    half = len(speech) // 2
    call = np.concatenate([speech[:half], hold_music(20.0), speech[half:]])
    path = tmp_path / "with_hold_music.wav"
    soundfile.write(path, call, RATE, subtype="PCM_16")
    conversation = processor.process(InputFile(path, "with_hold_music"), sha256="")
    music = (half / RATE + 1.0, half / RATE + 19.0)
    assert not [w for s in conversation.segments for w in s.words if music[0] < w.start < music[1]]
    assert len(parties(conversation)) == 1, parties(conversation)
