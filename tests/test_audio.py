"""Decoding: every container, rate and channel count; bad files end as one-line errors."""

from pathlib import Path

import av
import numpy as np
import pytest

from callscope.errors import InputError
from callscope.pipeline.audio import SAMPLE_RATE, load_audio
from tests.conftest import write_wav


def tone(seconds: float, rate: int, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def encode(path: Path, samples: np.ndarray, rate: int, codec: str) -> Path:
    """Encode (channels, n) float samples with PyAV."""
    data = np.atleast_2d(samples)
    layout = {1: "mono", 2: "stereo"}[data.shape[0]]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(data.astype(np.float32), format="fltp", layout=layout)
        frame.sample_rate = rate
        frame.pts = 0
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


@pytest.mark.parametrize(
    "name, codec, rate",
    [("a.flac", "flac", 8000), ("a.mp3", "libmp3lame", 44100), ("a.ogg", "libopus", 48000),
     ("a.m4a", "aac", 48000)],
)
def test_compressed_formats_decode_to_16k(tmp_path: Path, name: str, codec: str, rate: int):
    stereo = np.stack([tone(3, rate, 300), tone(3, rate, 700)])
    audio = load_audio(encode(tmp_path / name, stereo, rate, codec), "sha")
    assert audio.source.sample_rate == rate and audio.source.channels == 2
    assert audio.source.layout == "stereo" and audio.labels == ["left", "right"]
    assert all(t.dtype == np.float32 for t in audio.tracks)
    assert abs(audio.source.duration - 3.0) < 0.1
    assert abs(len(audio.tracks[0]) / SAMPLE_RATE - 3.0) < 0.1


def test_telephone_wav_keeps_channels_apart(tmp_path: Path):
    left, right = tone(2, 8000, 300), np.zeros(16000, np.float32)
    audio = load_audio(write_wav(tmp_path / "t.wav", np.stack([left, right]), 8000), "sha")
    assert audio.source.layout == "stereo"
    assert np.abs(audio.tracks[0]).max() > 0.2 and np.abs(audio.tracks[1]).max() < 1e-3


def test_fake_stereo_is_treated_as_mono(tmp_path: Path):
    signal = tone(2, 16000) + 0.01 * np.random.default_rng(0).standard_normal(32000).astype(np.float32)
    audio = load_audio(write_wav(tmp_path / "fake.wav", np.stack([signal, signal * 0.9])), "sha")
    assert audio.source.layout == "fake_stereo" and len(audio.tracks) == 1


def test_more_than_two_channels_become_one_track_each(tmp_path: Path):
    channels = np.stack([tone(1, 16000, f) for f in (200, 400, 800)])
    audio = load_audio(write_wav(tmp_path / "three.wav", channels), "sha")
    assert audio.source.layout == "multichannel" and len(audio.tracks) == 3


def test_zero_byte_file(tmp_path: Path):
    (tmp_path / "zero.wav").write_bytes(b"")
    with pytest.raises(InputError, match=r"zero.wav: empty file \(0 bytes\)$"):
        load_audio(tmp_path / "zero.wav", "sha")


def test_text_file_named_wav(tmp_path: Path):
    (tmp_path / "notes.wav").write_text("this is not audio\n" * 20)
    with pytest.raises(InputError, match=r"notes.wav: not a readable audio file") as raised:
        load_audio(tmp_path / "notes.wav", "sha")
    assert "\n" not in str(raised.value)


def test_truncated_wav_decodes_what_is_there_with_a_warning(tmp_path: Path):
    full = write_wav(tmp_path / "full.wav", tone(10, 16000))
    cut = tmp_path / "cut.wav"
    cut.write_bytes(full.read_bytes()[: 44 + 16000 * 2 * 4])
    audio = load_audio(cut, "sha")
    assert abs(audio.source.duration - 4.0) < 0.05
    assert any("truncated" in w for w in audio.warnings)


def test_truncated_compressed_file_is_an_error_or_a_warning(tmp_path: Path):
    full = encode(tmp_path / "full.mp3", tone(10, 16000)[None], 16000, "libmp3lame")
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(full.read_bytes()[:3000])
    try:
        audio = load_audio(cut, "sha")
    except InputError as exc:
        assert str(exc).startswith(str(cut))
    else:
        assert audio.source.duration < 10
