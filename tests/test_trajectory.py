"""Sentiment trajectory labels, and the overall score that blends in the trajectory's end, on hand-built
score sequences (expected values worked out by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from callscope.conversation import Utterance
from callscope.nlp.trajectory import trajectory
from callscope.pipeline.enrich import overall_sentiment


def customer_turns(scores: list[float], seconds: list[float] | None = None) -> list[Utterance]:
    """Customer utterances back to back (no words: an utterance's span is its speech time)."""
    out, clock = [], 0.0
    for score, length in zip(scores, seconds or [1.0] * len(scores)):
        out.append(Utterance(speaker="C", role="customer", start=clock, end=clock + length, text="...",
                             sentiment_score=score))
        clock += length
    return out


@pytest.mark.parametrize("scores, label, start, end", [
    ([-0.8, -0.6, 0.0, 0.5, 0.9, 0.9], "improved", -0.7, 0.9),     # thirds: turns 0-1 and 4-5
    ([0.5, 0.4, 0.0, -0.2, -0.6, -0.8], "worsened", 0.45, -0.7),
    ([-0.5, -0.5, -0.6, -0.5], "stable", -0.5, -0.525),             # last third: 1/3 s of -0.6, 1 s of -0.5
    ([0.2], "stable", 0.2, 0.2),
])
def test_labels_from_first_and_last_third(scores, label, start, end):
    found = trajectory(customer_turns(scores), range(len(scores)), threshold=0.3)
    assert found.label == label
    assert (found.start, found.end) == pytest.approx((start, end), abs=1e-3)
    assert found.change == pytest.approx(end - start, abs=1e-3)


def test_thirds_are_shares_of_speech_time():
    # 0.5 s at -1.0, 1 s at +0.5, 1.5 s at 0.0: the first second holds 0.5 s of each of the first two
    turns = customer_turns([-1.0, 0.5, 0.0], [0.5, 1.0, 1.5])
    found = trajectory(turns, [0, 1, 2], threshold=0.3)
    assert (found.start, found.end, found.change) == pytest.approx((-0.25, 0.0, 0.25))
    assert found.label == "stable"
    assert trajectory(turns, [0, 1, 2], threshold=0.2).label == "improved"


def test_lowest_point_and_only_the_given_utterances_count():
    turns = customer_turns([-0.2, 0.1, -0.9, 0.4])
    agent = Utterance(speaker="A", role="agent", start=1.5, end=2.0, text="...", sentiment_score=-1.0)
    turns.insert(2, agent)                       # the agent's score is not the customer's
    found = trajectory(turns, [0, 1, 3, 4], threshold=0.3)
    assert (found.lowest_score, found.lowest_utterance, found.lowest_at) == (-0.9, 3, 2.0)
    assert found.start == pytest.approx((-0.2 + 0.1 / 3) / (4 / 3), abs=1e-3)


def test_unknown_without_scored_customer_speech():
    assert trajectory([], [], 0.3).label == "unknown"
    unscored = [Utterance(speaker="C", role="customer", start=0, end=1, text="hello")]
    found = trajectory(unscored, [0], 0.3)
    assert found.label == "unknown" and found.start is None and found.lowest_utterance is None


def test_overall_score_blends_the_speech_time_mean_with_the_end():
    """A problem told at length, then relief: the mean (-0.2) reads negative, the end lifts it to neutral."""
    scores, seconds = [-0.8, 0.0, 0.6], [3.0, 1.0, 2.0]
    end = trajectory(customer_turns(scores, seconds), range(3)).end
    assert end == pytest.approx(0.6)
    as_arrays = np.array(scores), np.array(seconds)
    assert overall_sentiment(*as_arrays, 1.0, 0.1, end, 0.0) == ("negative", -0.2)
    assert overall_sentiment(*as_arrays, 1.0, 0.1, end, 0.2) == ("neutral", -0.04)     # 0.8 * -0.2 + 0.2 * 0.6
    assert overall_sentiment(*as_arrays, 1.0, 0.1, None, 0.2) == ("negative", -0.2)    # no end: the mean
    assert overall_sentiment(*as_arrays, 2.0, 0.1, end, 0.0) == ("negative", -0.4)     # (2 * -2.4 + 1.2) / (6 + 1 + 2)
