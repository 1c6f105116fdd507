"""Redacted audio: the recording's tracks with every redacted word replaced by a tone (`--redact-audio`).

A word of a redacted Conversation whose text holds a placeholder (`[CARD]`, `[NAME]`...) covers the time
of the words it replaced; that time, widened by `MARGIN` on each side, becomes a 1 kHz tone on every
track (the other party's channel may carry the same words as bleed).
"""

from __future__ import annotations

import io
import re
import wave

import numpy as np

from callscope.conversation import Conversation

TONE_HZ = 1000.0
TONE_LEVEL = 0.2          # peak amplitude of the tone (full scale 1.0)
MARGIN = 0.05             # seconds added on each side of a redacted word: word timings are approximate
_PLACEHOLDER = re.compile(r"\[[A-Z]+\]")


def redacted_times(conv: Conversation) -> list[tuple[float, float]]:
    """The (start, end) seconds of the redacted words of `conv`, widened by MARGIN, merged, in order."""
    ranges = sorted((max(w.start - MARGIN, 0.0), w.end + MARGIN)
                    for w in conv.words() if _PLACEHOLDER.search(w.text))
    merged: list[tuple[float, float]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def bleeped(tracks: list[np.ndarray], conv: Conversation, sample_rate: int) -> list[np.ndarray]:
    """Copies of `tracks` (float samples at `sample_rate`) with the redacted times of `conv` as a tone."""
    out = [track.astype(np.float32, copy=True) for track in tracks]
    for start, end in redacted_times(conv):
        for track in out:
            lo, hi = round(start * sample_rate), min(round(end * sample_rate), len(track))
            if lo < hi:
                t = np.arange(lo, hi) / sample_rate
                track[lo:hi] = TONE_LEVEL * np.sin(2 * np.pi * TONE_HZ * t)
    return out


def wav_bytes(tracks: list[np.ndarray], sample_rate: int) -> bytes:
    """A 16-bit PCM WAV file of `tracks` (one channel each, equal lengths)."""
    samples = np.clip(np.stack(tracks, axis=1), -1.0, 1.0)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(len(tracks))
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes((samples * 32767).astype("<i2").tobytes())
    return buffer.getvalue()
