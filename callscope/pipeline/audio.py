"""Audio: decode any container at any rate into 16 kHz float tracks.

Stereo recordings keep one track per channel (agent and customer are usually on
separate channels); a "stereo" file whose channels carry the same signal is
treated as mono. Decoding problems become per-file errors or warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from callscope.conversation import Source
from callscope.errors import InputError
from callscope.pipeline import heap

SAMPLE_RATE = 16000


@dataclass
class DecodedAudio:
    """The decoded tracks of one recording (float32, 16 kHz)."""

    source: Source
    tracks: list[np.ndarray]
    labels: list[str]
    warnings: list[str] = field(default_factory=list)


def _header_duration(container: av.container.InputContainer, stream: av.audio.stream.AudioStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def probe(path: Path) -> float:
    """Duration from the container header (0.0 when unknown), without decoding; InputError, with the
    reasons `load_audio` gives, when the file is empty, not audio, or has no audio stream."""
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file (0 bytes)")
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise InputError(f"{path}: no audio stream in this file")
            return _header_duration(container, container.streams.audio[0]) or 0.0
    except av.error.FFmpegError as exc:
        raise InputError(f"{path}: not a readable audio file ({_reason(exc)})") from None


def _reason(exc: av.error.FFmpegError) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def riff_shortfall(path: Path, size: int) -> int:
    """Bytes missing from a WAV file whose RIFF header declares more than is on disk."""
    with open(path, "rb") as handle:
        header = handle.read(12)
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
        return 0
    declared = int.from_bytes(header[4:8], "little") + 8
    return max(0, declared - size) if declared < 0xFFFFFFFF else 0


def decode_channels(path: Path) -> tuple[np.ndarray, dict, int]:
    """All channels resampled to 16 kHz: (channels, samples), header facts, bad packets."""
    with av.open(str(path), metadata_errors="ignore") as container:
        if not container.streams.audio:
            raise InputError(f"{path}: no audio stream in this file")
        stream = container.streams.audio[0]
        channels = stream.codec_context.channels
        facts = {
            "container": container.format.name,
            "codec": stream.codec_context.name,
            "sample_rate": stream.codec_context.sample_rate,
            "channels": channels,
            "header_duration": _header_duration(container, stream),
        }
        layout = {1: "mono", 2: "stereo"}.get(channels, stream.layout.name)
        # 16-bit output, as faster-whisper's own decode_audio, so both give the model the same samples
        resampler = av.AudioResampler(format="s16", layout=layout, rate=SAMPLE_RATE)
        chunks: list[np.ndarray] = []
        bad_packets = 0
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                bad_packets += 1
                continue
            for frame in frames:
                chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
        chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    return _to_float(chunks, max(channels, 1)), facts, bad_packets


def _to_float(chunks: list[np.ndarray], width: int) -> np.ndarray:
    """Interleaved 16-bit chunks as float32 (channels, samples), converted chunk by chunk and each chunk
    released once copied: a 2-hour track takes its float32 size plus its 16-bit size at most."""
    total = sum(len(c) for c in chunks) // width
    samples = np.empty((width, total), np.float32)
    done, pending = 0, np.zeros(0, np.int16)
    chunks.reverse()
    while chunks:
        chunk = np.concatenate([pending, chunks.pop()])
        whole = min(len(chunk) // width, total - done)
        samples[:, done: done + whole] = chunk[: whole * width].reshape(-1, width).T
        pending, done = chunk[whole * width:], done + whole
    samples /= 32768.0
    return samples


def is_fake_stereo(left: np.ndarray, right: np.ndarray, threshold: float) -> bool:
    """True when both channels carry (nearly) the same signal."""
    products, left_power, right_power = centred_products(left, right)
    if left_power < 1e-12 or right_power < 1e-12:      # a standard deviation under 1e-6
        return bool(np.allclose(left, right, atol=1e-4))
    return products / np.sqrt(left_power * right_power) >= threshold


def centred_products(left: np.ndarray, right: np.ndarray, block: int = 1 << 20) -> tuple[float, float, float]:
    """Means of (left * right, left², right²) after removing each signal's mean, summed `block` samples at
    a time in float64 (np.std and np.corrcoef copy whole tracks: 2 GB for 2 hours of stereo)."""
    means = (float(np.mean(left, dtype=np.float64)), float(np.mean(right, dtype=np.float64)))
    sums = np.zeros(3)
    for begin in range(0, len(left), block):
        a = left[begin: begin + block].astype(np.float64) - means[0]
        b = right[begin: begin + block].astype(np.float64) - means[1]
        sums += (a @ b, a @ a, b @ b)
    return tuple(float(x) for x in sums / max(len(left), 1))


def load_audio(path: Path, sha256: str, fake_stereo_correlation: float = 0.98) -> DecodedAudio:
    """Decode a recording into tracks; raises InputError with a one-line reason."""
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path}: empty file (0 bytes)")
    try:
        samples, facts, bad_packets = decode_channels(path)
    except av.error.FFmpegError as exc:
        raise InputError(f"{path}: not a readable audio file ({_reason(exc)})") from None
    finally:
        heap.trim()   # the decoder's freed buffers stay resident otherwise: 0.6 GB for a 2-hour stereo call
    if samples.shape[1] == 0:
        raise InputError(f"{path}: no audio could be decoded (truncated or corrupt file)")
    duration = samples.shape[1] / SAMPLE_RATE
    warnings = []
    if bad_packets:
        warnings.append(f"skipped {bad_packets} undecodable packet(s)")
    expected = facts.pop("header_duration")
    missing = riff_shortfall(path, size)
    if missing:
        warnings.append(f"file looks truncated: its header declares {missing} more bytes than the file holds")
    elif expected and duration < expected - max(0.5, 0.02 * expected):
        warnings.append(f"file looks truncated: decoded {duration:.1f} s of {expected:.1f} s")
    channels = samples.shape[0]
    if channels == 1:
        layout, tracks, labels = "mono", [samples[0]], ["mono"]
    elif channels == 2 and is_fake_stereo(samples[0], samples[1], fake_stereo_correlation):
        layout, tracks, labels = "fake_stereo", [samples.mean(axis=0)], ["mono"]
    elif channels == 2:
        layout, tracks, labels = "stereo", [samples[0], samples[1]], ["left", "right"]
    else:
        layout, tracks, labels = "multichannel", list(samples), [f"channel{i}" for i in range(channels)]
    source = Source(path=str(path), sha256=sha256, size_bytes=size, duration=round(duration, 3), layout=layout, **facts)
    return DecodedAudio(source=source, tracks=tracks, labels=labels, warnings=warnings)
