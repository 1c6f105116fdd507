"""Bleed: drop words a stereo channel picked up from the other party.

On a stereo call each voice may be faintly audible on the other channel. A word
transcribed on one channel while the other channel is much louder during that
word is the other party's speech leaking through, not a turn of its own.
"""

from __future__ import annotations

import numpy as np

from callscope.conversation import Segment, join_words
from callscope.pipeline.audio import SAMPLE_RATE


def _level_db(samples: np.ndarray, start: float, end: float) -> float:
    piece = samples[int(start * SAMPLE_RATE): max(int(end * SAMPLE_RATE), int(start * SAMPLE_RATE) + 1)]
    if piece.size == 0:     # a word timed past the end of the audio (Whisper rounds up)
        return -120.0
    return 10 * np.log10(float(np.mean(piece.astype(np.float64) ** 2)) + 1e-12)


def drop_bleed(segments: list[Segment], tracks: list[np.ndarray], margin_db: float) -> tuple[list[Segment], int]:
    """Segments without the words whose channel is `margin_db` quieter than another; and how many went."""
    if len(tracks) < 2:
        return segments, 0
    dropped = 0
    for segment in segments:
        kept = []
        for word in segment.words:
            own = _level_db(tracks[word.track], word.start, word.end)
            loudest_other = max(_level_db(t, word.start, word.end) for i, t in enumerate(tracks) if i != word.track)
            if loudest_other - own > margin_db:
                dropped += 1
            else:
                kept.append(word)
        if len(kept) != len(segment.words):
            segment.words = kept
            segment.text = join_words([w.text for w in kept])
    return [s for s in segments if s.words], dropped
