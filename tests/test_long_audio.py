"""Long tracks in pieces (pipeline/long_audio.py) and Silero's probabilities built batch by batch."""

from __future__ import annotations

import numpy as np
import pytest

from callscope.pipeline.long_audio import pieces

RATE = 16000


def test_a_short_track_is_one_piece_and_a_long_one_is_cut_in_its_pauses():
    rng = np.random.default_rng(0)
    assert pieces(np.ones(RATE * 60, np.float32)) == [(0, RATE * 60)]
    track = rng.normal(0, 0.1, RATE * 250).astype(np.float32)       # "speech" with a pause at 85-86 s and 170-171 s
    for pause in (85, 170):
        track[pause * RATE: (pause + 1) * RATE] = 0
    ranges = pieces(track, longest=100, search=30)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(track)
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert all(end - begin <= 100 * RATE for begin, end in ranges)
    assert len(ranges) == 3 and all(pause < end / RATE < pause + 1 for (_, end), pause in zip(ranges, (85, 170)))


@pytest.mark.slow
def test_silero_probabilities_are_faster_whisper_s_own():
    from faster_whisper.vad import get_vad_model

    from callscope.pipeline.transcribe import SILERO_WINDOW, silero_probabilities

    rng = np.random.default_rng(1)
    track = (rng.normal(0, 0.05, 2 * 10000 * SILERO_WINDOW) * np.sin(np.arange(2 * 10000 * SILERO_WINDOW) / 4000)
             ).astype(np.float32)
    for length in (1000, 10000 * SILERO_WINDOW - 3, 10000 * SILERO_WINDOW, len(track) - 5):
        samples = track[:length]
        whole = np.asarray(get_vad_model()(np.pad(samples, (0, SILERO_WINDOW - length % SILERO_WINDOW)))).reshape(-1)
        assert np.array_equal(silero_probabilities(samples), whole)
