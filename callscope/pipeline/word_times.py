"""Word times on stereo: a word is spoken where its own channel carries a voice.

Whisper stretches some words at a turn's edge over the silence after or before them (by 1-1.5 s on
the real calls), into the other party's turn, and the words' times then give the wrong party the
word, the turns and the overtalk. On a stereo call each party has a channel, so each word is trimmed
to the frames where its channel carries its own voice (recover.own_voices); when those frames fall in
runs more than recover.BRIDGE apart, to the run with the most of them. A word with no such frame
keeps its times: nothing on its channel says where it was spoken.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from callscope.conversation import Segment, Word
from callscope.pipeline.recover import BRIDGE, FRAME


def voiced_span(word: Word, voiced: np.ndarray) -> tuple[float, float]:
    """The part of the word's span its channel's voiced frames (`voiced`, one per FRAME) cover: the
    longest run of them (pauses under BRIDGE inside a run); the word's own span when none is voiced."""
    first = int(word.start / FRAME)
    frames = first + np.flatnonzero(voiced[first: int(np.ceil(word.end / FRAME))])
    if frames.size == 0:
        return word.start, word.end
    runs = np.split(frames, np.flatnonzero(np.diff(frames) * FRAME > BRIDGE) + 1)
    run = max(runs, key=len)
    return max(word.start, round(float(run[0]) * FRAME, 3)), min(word.end, round(float(run[-1] + 1) * FRAME, 3))


def trim_to_own_voice(segments: list[Segment], voiced: Sequence[np.ndarray]) -> int:
    """Trim the words of a call with one party per track to where their track carries its own voice
    (`voiced`: per track, recover.own_voices); segments follow their words and stay in time order. How
    many words were trimmed. Each word stays inside its old span, so the words of a track keep their
    order, and never gets zero length."""
    if len(voiced) < 2:
        return 0
    trimmed = 0
    for segment in segments:
        changed = False
        for word in segment.words:
            span = voiced_span(word, voiced[word.track])
            if span != (word.start, word.end):
                word.start, word.end = span
                changed = True
                trimmed += 1
        if changed:
            segment.start, segment.end = segment.words[0].start, segment.words[-1].end
    segments.sort(key=lambda s: (s.start, s.track))
    return trimmed
