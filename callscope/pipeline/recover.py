"""Speech the VAD skipped: stretches of a track where a voice is heard but no word was written.

Silero VAD, run before Whisper, can give some voices a low speech probability and cut
whole replies ("That's a relief", "Thanks very much for your help"). Each stretch of
speech found another way (the channel's own energy on a stereo call, the diarisation's
turns on a mono one) that the words cover less than half of is heard again by Whisper
without VAD. Its new words replace the old ones there when there were none, or when
Whisper is surer of the new ones (higher mean word probability).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from callscope.conversation import Segment, Word, join_words
from callscope.pipeline.audio import SAMPLE_RATE

FRAME = 0.02            # seconds per energy frame
ABOVE_FLOOR_DB = 15.0   # a channel's voice: this far above its own noise floor (10th percentile)...
BELOW_PEAK_DB = 40.0    # ...and no further than this below its loudest frame
BRIDGE = 0.3            # pauses shorter than this join two stretches
MIN_SECONDS = 0.5       # shorter stretches are not heard again
MIN_COVERAGE = 0.5      # a stretch whose words cover this share of it was heard
PAD = 0.3               # seconds of context given to Whisper on each side of a stretch
SPACER = 0.5            # seconds of silence between stretches in the audio heard again

Stretch = tuple[float, float]


def _frame_db(samples: np.ndarray, block: int = 10000) -> np.ndarray:
    """Level in dB per FRAME, computed `block` frames at a time (a float64 copy of a 2-hour track is 0.9 GB)."""
    n = int(FRAME * SAMPLE_RATE)
    frames = samples[:len(samples) // n * n].reshape(-1, n)
    power = np.concatenate([np.mean(frames[i: i + block].astype(np.float64) ** 2, axis=1)
                            for i in range(0, len(frames), block)] or [np.zeros(0)])
    return 10 * np.log10(power + 1e-12)


def _runs(active: np.ndarray) -> list[Stretch]:
    edges = np.flatnonzero(np.diff(np.concatenate([[0], active.astype(np.int8), [0]])))
    return [(start * FRAME, end * FRAME) for start, end in zip(edges[::2], edges[1::2])]


def merge_stretches(stretches: Sequence[Stretch], bridge: float = BRIDGE,
                    min_seconds: float = MIN_SECONDS) -> list[Stretch]:
    """Stretches in time order with pauses under `bridge` joined; those shorter than `min_seconds` dropped."""
    merged: list[list[float]] = []
    for start, end in sorted(stretches):
        if merged and start - merged[-1][1] < bridge:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged if end - start >= min_seconds]


def loud_frames(samples: np.ndarray) -> np.ndarray:
    """Per FRAME of 16 kHz audio: whether it is loud enough to be a voice (ABOVE_FLOOR_DB over the track's
    noise floor and within BELOW_PEAK_DB of its peak)."""
    return _loud(_frame_db(samples))


def _loud(db: np.ndarray) -> np.ndarray:
    """loud_frames of a track's levels per FRAME."""
    if db.size == 0:
        return np.zeros(0, bool)
    return (db > np.percentile(db, 10) + ABOVE_FLOOR_DB) & (db > db.max() - BELOW_PEAK_DB)


def own_voices(tracks: Sequence[np.ndarray], bleed_margin_db: float) -> list[np.ndarray]:
    """Per track, per FRAME: whether the track carries its own voice there: loud for it (loud_frames), and
    not `bleed_margin_db` quieter than another channel (that is the other party's voice heard through).
    Each track's levels are computed once."""
    levels = [_frame_db(track) for track in tracks]
    voiced = []
    for index, own in enumerate(levels):
        active = _loud(own)
        for other_index, other in enumerate(levels):
            if other_index != index:
                n = min(own.size, other.size)
                active[:n] &= own[:n] >= other[:n] - bleed_margin_db
        voiced.append(active)
    return voiced


def voice_stretches(voiced: np.ndarray) -> list[Stretch]:
    """A track's voiced frames (own_voices) as stretches of its speech."""
    return merge_stretches(_runs(voiced))


def unheard(stretches: Sequence[Stretch], words: Sequence[Word], min_coverage: float = MIN_COVERAGE) -> list[Stretch]:
    """The stretches whose words cover less than `min_coverage` of them."""
    found = []
    for start, end in stretches:
        covered = sum(max(0.0, min(end, w.end) - max(start, w.start)) for w in words)
        if covered < min_coverage * (end - start):
            found.append((start, end))
    return found


def _midpoint(word: Word) -> float:
    return (word.start + word.end) / 2


def padded(stretches: Sequence[Stretch]) -> list[Stretch]:
    """The stretches (in time order) widened by PAD on each side, never past halfway to a neighbour,
    so that no moment is heard again twice."""
    found = []
    for i, (start, end) in enumerate(stretches):
        before = (stretches[i - 1][1] + start) / 2 if i else 0.0
        after = (end + stretches[i + 1][0]) / 2 if i + 1 < len(stretches) else end + PAD
        found.append((max(start - PAD, before, 0.0), min(end + PAD, after)))
    return found


def _inside(word: Word, region: Stretch) -> bool:
    return region[0] <= _midpoint(word) <= region[1]


def heard_again(transcriber, samples: np.ndarray, track: int, regions: Sequence[Stretch],
                language: str | None) -> list[Segment]:
    """Whisper, without VAD, on the regions (padded stretches) spaced by silence, in one pass; words
    timed on the track."""
    pieces, layout, offset = [], [], 0.0     # layout: (offset in the pass, start on the track, length)
    spacer = np.zeros(int(SPACER * SAMPLE_RATE), dtype=np.float32)
    for begin, end in regions:
        piece = samples[int(begin * SAMPLE_RATE): int(end * SAMPLE_RATE)]
        pieces += [piece, spacer]
        layout.append((offset, begin, len(piece) / SAMPLE_RATE))
        offset += (len(piece) + len(spacer)) / SAMPLE_RATE
    if not pieces:
        return []

    def on_track(time: float, place: tuple[float, float, float]) -> float:
        return round(place[1] + min(max(time - place[0], 0.0), place[2]), 3)

    segments = []
    for segment in transcriber.transcribe_without_vad(np.concatenate(pieces), track, language):
        words = []
        for word in segment.words:
            place = next((p for p in layout if p[0] <= _midpoint(word) <= p[0] + p[2]), None)
            if place is not None:      # a word in a spacer is Whisper filling the silence
                words.append(word.model_copy(update={"start": on_track(word.start, place),
                                                     "end": on_track(word.end, place)}))
        if words:
            segments.append(_with_words(segment, words))
    return segments


def _with_words(segment: Segment, words: list[Word]) -> Segment:
    """The segment holding only `words`, its times and text following them."""
    return segment.model_copy(update={"words": words, "start": words[0].start, "end": words[-1].end,
                                      "text": join_words([w.text for w in words])})


def _mean_probability(words: Sequence[Word]) -> float:
    return float(np.mean([w.probability for w in words])) if words else 0.0


def replace_unheard(segments: list[Segment], regions: Sequence[Stretch],
                    again: Sequence[Segment]) -> tuple[list[Segment], int]:
    """`segments` with each region's words taken from `again` where they win (see the module doc);
    and how many words were added. Segments keep their time order."""
    old_words = [w for s in segments for w in s.words]
    replaced: set[int] = set()     # ids of old words given up
    recovered: list[Segment] = []
    added = 0
    for region in regions:
        old = [w for w in old_words if _inside(w, region)]
        new_segments = []
        for segment in again:
            inside = [w for w in segment.words if _inside(w, region)]
            if inside:
                new_segments.append(_with_words(segment, inside))
        new = [w for s in new_segments for w in s.words]
        if not new or (old and _mean_probability(new) <= _mean_probability(old)):
            continue
        replaced |= {id(w) for w in old}
        added += len(new) - len(old)
        recovered += new_segments
    if not recovered:
        return segments, 0
    cuts = [s.start for s in recovered]
    kept = []
    for segment in segments:
        words = [w for w in segment.words if id(w) not in replaced]
        runs = _runs_between(words, cuts)     # a segment never spans words heard again
        if len(runs) == 1 and len(words) == len(segment.words):
            kept.append(segment)
        else:
            kept += [_with_words(segment, run) for run in runs]
    return sorted(kept + recovered, key=lambda s: (s.start, s.track)), added


def _runs_between(words: Sequence[Word], cuts: Sequence[float]) -> list[list[Word]]:
    """The words in runs, a new run after each cut (a time some new segment starts at)."""
    runs: list[list[Word]] = []
    for word in words:
        if not runs or any(runs[-1][-1].start < cut <= word.start for cut in cuts):
            runs.append([])
        runs[-1].append(word)
    return runs


def recover_skipped_speech(transcriber, samples: np.ndarray, track: int, language: str | None,
                           segments: list[Segment], speech: Sequence[Stretch]) -> tuple[list[Segment], int]:
    """Segments of one track with the speech its VAD skipped heard again; and how many words that added."""
    own = [s for s in segments if s.track == track]
    regions = padded(unheard(speech, [w for s in own for w in s.words]))
    if not regions:
        return segments, 0
    again = heard_again(transcriber, samples, track, regions, language)
    mended, added = replace_unheard(own, regions, again)
    others = [s for s in segments if s.track != track]
    return sorted(others + mended, key=lambda s: (s.start, s.track)), added
