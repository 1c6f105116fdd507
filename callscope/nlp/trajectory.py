"""Customer sentiment trajectory: the first third of their speech against the last third.

The customer's utterances are laid end to end by speech time; the start (end)
score is the mean sentiment score over the first (last) third of that time,
each utterance counting for the part of its speech that falls in the third.
The change end - start is `improved` at or above the threshold, `worsened` at
or below minus the threshold, `stable` in between.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from callscope.conversation import Trajectory, Utterance

MIN_WEIGHT = 0.01  # seconds: an utterance without measurable speech still counts a little


def _third_means(scores: np.ndarray, seconds: np.ndarray) -> tuple[float, float]:
    """Speech-time weighted mean score of the first and of the last third of the speech."""
    edges = np.concatenate([[0.0], np.cumsum(seconds)])
    total = edges[-1]

    def mean(lo: float, hi: float) -> float:
        share = np.clip(np.minimum(edges[1:], hi) - np.maximum(edges[:-1], lo), 0.0, None)
        return float(share @ scores / share.sum())

    return mean(0.0, total / 3), mean(2 * total / 3, total)


def trajectory(utterances: Sequence[Utterance], indices: Sequence[int], threshold: float = 0.3) -> Trajectory:
    """Trajectory of the utterances at `indices` (the customer's, in order), from their sentiment scores."""
    scored = [i for i in indices if utterances[i].sentiment_score is not None]
    if not scored:
        return Trajectory()
    scores = np.array([utterances[i].sentiment_score for i in scored], float)
    seconds = np.array([max(utterances[i].speech_seconds(), MIN_WEIGHT) for i in scored])
    start, end = _third_means(scores, seconds)
    change = end - start
    label = "improved" if change >= threshold else "worsened" if change <= -threshold else "stable"
    lowest = scored[int(scores.argmin())]
    return Trajectory(label=label, start=round(start, 3), end=round(end, 3), change=round(change, 3),
                      lowest_score=round(float(scores.min()), 3), lowest_at=utterances[lowest].start,
                      lowest_utterance=lowest)
