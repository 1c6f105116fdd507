"""The VAD threshold per track: Silero's own 0.5 where it hears the voice clearly, a lower one where it
underrates it (a deep voice through a 300-3400 Hz mu-law phone line), a fixed number when configured."""

import numpy as np
import pytest
from pydantic import ValidationError
from scipy.signal import butter, sosfiltfilt

from callscope.config import AsrSettings
from callscope.pipeline.audio import load_audio
from callscope.pipeline.transcribe import vad_threshold, voice_clarity
from tests.conftest import SHARED, sample_audio, write_wav

RATE = 16000
DEEP_VOICE = SHARED / "librispeech_testclean_mini" / "1089-134686-0000.flac"


def phone_line(samples: np.ndarray, folder) -> np.ndarray:
    """16 kHz speech put on a phone line between two seconds of line-only sound: speech at -26 dBFS RMS,
    hiss and 150/250 Hz hum at -55 dBFS, 300-3400 Hz, 8 kHz, 8-bit mu-law (G.711's curve); written as an
    8 kHz WAV and read back as callscope reads a call."""
    pause = np.zeros(2 * RATE)
    speech = np.concatenate([pause, samples / np.sqrt(np.mean(samples ** 2)) * 0.05, pause])
    t = np.arange(speech.size) / RATE
    line = np.random.default_rng(0).normal(0, 1, speech.size) + np.sin(2 * np.pi * 150 * t) + np.sin(2 * np.pi * 250 * t)
    sos = butter(6, [300, 3400], btype="bandpass", fs=RATE, output="sos")
    narrow = (sosfiltfilt(sos, speech) + line / np.sqrt(np.mean(line ** 2)) * 10 ** (-55 / 20))[::2]
    coded = np.round(127 * np.sign(narrow) * np.log1p(255 * np.abs(narrow)) / np.log(256)) / 127
    expanded = np.sign(coded) * (256 ** np.abs(coded) - 1) / 255
    return load_audio(write_wav(folder / "line.wav", expanded, rate=8000), "sha").tracks[0]


def test_silence_counts_as_clear():
    assert voice_clarity(np.zeros(RATE * 3, np.float32)) == 1.0


def test_noise_bursts_are_not_a_clear_voice():
    rng = np.random.default_rng(0)
    track = np.zeros(RATE * 8, np.float32)
    for start in (1, 4):
        track[start * RATE:(start + 2) * RATE] = rng.normal(0, 0.1, 2 * RATE)
    assert voice_clarity(track) < 0.6
    assert vad_threshold(AsrSettings(), track) == 0.25


def test_a_clear_voice_keeps_silero_threshold():
    track = load_audio(sample_audio("refund_request"), "sha").tracks[0][: RATE * 20]
    assert voice_clarity(track) >= 0.6
    assert vad_threshold(AsrSettings(), track) == 0.5


def test_a_fixed_threshold_is_used_as_it_is():
    assert vad_threshold(AsrSettings(vad_threshold=0.35), np.zeros(RATE, np.float32)) == 0.35
    assert AsrSettings().vad_threshold == "auto"
    for bad in (0.0, 1.5, "high"):
        with pytest.raises(ValidationError):
            AsrSettings(vad_threshold=bad)


@pytest.mark.skipif(not DEEP_VOICE.is_file(), reason="../shared/data is not present")
def test_a_deep_voice_on_a_phone_line_gets_the_faint_threshold(tmp_path):
    from faster_whisper import decode_audio

    speech = decode_audio(str(DEEP_VOICE))
    on_the_line = phone_line(speech, tmp_path)
    assert voice_clarity(speech) >= 0.6                 # full band: Silero hears it clearly
    assert voice_clarity(on_the_line) < 0.6             # through a phone line: underrated
    assert vad_threshold(AsrSettings(), on_the_line) == 0.25
