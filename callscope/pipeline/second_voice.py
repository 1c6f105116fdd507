"""Second-voice check: find a speaker that diarisation merged into another.

segmentation-3.0 can give two similar voices one local speaker inside its
10 s chunks; no clustering of those chunk embeddings can separate them again,
and the call comes out as one speaker. When one speaker holds nearly all the
speech, this check cuts that speech at pauses into short units, embeds every
unit on its own, splits the units in two (Ward linkage) and accepts the split
only when it is clear: the mean cosine distance between the two groups is at
least `min_ratio` times the mean distance within them, and the smaller group
holds at least `min_share` of the speech in at least MIN_UNITS units.
Values and the evidence behind them: docs/diarization.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist, squareform

SAMPLE_RATE = 16000
FRAME = 0.01           # s, energy frame hop
MIN_PAUSE = 0.15       # s of quiet that ends a unit
MAX_UNIT = 3.0         # s; longer stretches are cut into equal parts
MIN_UNIT = 0.5         # s; shorter units are not embedded (too little voice)
MIN_UNITS = 5          # embedded units each group needs
QUIET_ABOVE_FLOOR = 6.0   # dB: quiet is below noise floor + this ...
QUIET_BELOW_LOUD = 40.0   # ... or below the loud level - this, whichever is higher

Span = tuple[float, float]
Labelled = tuple[float, float, str]


@dataclass(frozen=True)
class Split:
    """A two-way split of the units: group (0/1) per unit and how clear it is."""

    groups: np.ndarray
    ratio: float   # mean between-group / mean within-group cosine distance
    share: float   # speech share of the smaller group
    smaller: int   # units in the smaller group


@dataclass(frozen=True)
class Verdict:
    """`turns` with two voices when a second voice was found; `one_voice` when there was
    enough speech to tell and only one voice was found; neither when there was too little.
    `split` is the two-way split that was judged (None when there was too little speech)."""

    turns: list[Labelled] | None
    one_voice: bool
    split: Split | None = None


def speech_regions(turns: list[Span], join: float = 0.05) -> list[Span]:
    """Turns merged into stretches of speech (gaps up to `join` s bridged)."""
    merged: list[list[float]] = []
    for start, end in sorted(turns):
        if merged and start <= merged[-1][1] + join:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def frame_levels(waveform: np.ndarray) -> np.ndarray:
    """Energy in dB of 30 ms frames every 10 ms (three 10 ms blocks each)."""
    hop = int(FRAME * SAMPLE_RATE)
    pieces = np.asarray(waveform[: len(waveform) // hop * hop], np.float32).reshape(-1, hop)
    blocks = np.einsum("ij,ij->i", pieces, pieces).astype(np.float64)  # no copy of the waveform
    if len(blocks) < 3:
        return np.zeros(0)
    return 10 * np.log10((blocks[:-2] + blocks[1:-1] + blocks[2:]) / (3 * hop) + 1e-12)


def pause_units(waveform: np.ndarray, regions: list[Span]) -> list[Span]:
    """The speech regions cut at pauses of MIN_PAUSE s or more, in pieces of at most MAX_UNIT s."""
    levels = frame_levels(waveform)
    if not len(levels):
        return []
    quiet = levels < max(np.percentile(levels, 10) + QUIET_ABOVE_FLOOR, np.percentile(levels, 95) - QUIET_BELOW_LOUD)
    min_frames = int(round(MIN_PAUSE / FRAME))
    units = []
    for start, end in regions:
        first, last = int(start / FRAME), min(int(np.ceil(end / FRAME)), len(quiet))
        edges, i = [first], first
        while i < last:
            if not quiet[i]:
                i += 1
                continue
            j = i
            while j < last and quiet[j]:
                j += 1
            if j - i >= min_frames and i > first and j < last:
                edges += [i, j]
            i = j
        edges.append(last)
        for a, b in zip(edges[::2], edges[1::2]):
            a_s, b_s = max(start, a * FRAME), min(end, b * FRAME)
            pieces = int(np.ceil((b_s - a_s) / MAX_UNIT)) if b_s > a_s else 0
            units += [(a_s + k * (b_s - a_s) / pieces, a_s + (k + 1) * (b_s - a_s) / pieces) for k in range(pieces)]
    return units


def split_in_two(embeddings: np.ndarray, durations: np.ndarray) -> Split:
    """Ward split of L2-normalised embeddings into two groups, with its clarity."""
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    groups = fcluster(linkage(unit, "ward"), 2, "maxclust") - 1
    distances = squareform(pdist(unit, "cosine"))
    a, b = groups == 0, groups == 1
    pairs_within = a.sum() * (a.sum() - 1) + b.sum() * (b.sum() - 1)
    within = (distances[np.ix_(a, a)].sum() + distances[np.ix_(b, b)].sum()) / max(1, pairs_within)
    between = distances[np.ix_(a, b)].mean() if a.any() and b.any() else 0.0
    share = min(durations[a].sum(), durations[b].sum()) / durations.sum()
    return Split(groups, float(between / within) if within > 0 else 0.0, float(share), int(min(a.sum(), b.sum())))


def relabel(regions: list[Span], units: list[Span], groups: np.ndarray) -> list[Labelled]:
    """Speaker turns covering the same speech as `regions`, each unit's stretch taking its group's
    label (SPEAKER_00 speaks first); a change of voice falls in the middle of the pause between units."""
    middles = np.array([(a + b) / 2 for a, b in units])
    names = {groups[0]: "SPEAKER_00", 1 - groups[0]: "SPEAKER_01"}
    turns = []
    for start, end in regions:
        inside = [i for i, m in enumerate(middles) if start <= m <= end]
        if not inside:  # too short to embed: the voice of the nearest unit
            turns.append((start, end, names[groups[int(np.argmin(np.abs(middles - (start + end) / 2)))]]))
            continue
        begin, group = start, groups[inside[0]]
        for i, j in zip(inside, inside[1:]):
            if groups[j] != group:
                cut = (units[i][1] + units[j][0]) / 2
                turns.append((begin, cut, names[group]))
                begin, group = cut, groups[j]
        turns.append((begin, end, names[group]))
    return turns


def check(waveform: np.ndarray, turns: list[Span], embed: Callable[[list[Span]], np.ndarray],
          min_ratio: float, min_share: float) -> Verdict:
    """Look for a second voice in the speech `turns` of a 16 kHz waveform.

    `embed` maps unit spans (seconds) to one speaker embedding each.
    """
    regions = speech_regions(turns)
    units = [u for u in pause_units(waveform, regions) if u[1] - u[0] >= MIN_UNIT]
    if len(units) < 2 * MIN_UNITS:
        return Verdict(None, one_voice=False)
    split = split_in_two(embed(units), np.array([b - a for a, b in units]))
    if split.ratio >= min_ratio and split.share >= min_share and split.smaller >= MIN_UNITS:
        return Verdict(relabel(regions, units, split.groups), one_voice=False, split=split)
    return Verdict(None, one_voice=True, split=split)
