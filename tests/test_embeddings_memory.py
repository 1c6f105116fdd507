"""Vectors remembered within and across blocks (nlp/embeddings.py), with a counting backend: no models."""

from __future__ import annotations

import numpy as np
import pytest

from callscope.nlp.embeddings import _Shared, default_threads, forget_oldest, remembering


class Counting:
    """A backend whose vector of a text is its length, and which records what it was asked to encode."""

    dim = 1

    def __init__(self):
        self.asked: list[str] = []

    def encode(self, texts):
        self.asked += texts
        return np.array([[len(t)] for t in texts], np.float32)


def test_a_block_encodes_each_text_once_and_forgets_it_after():
    backend = Counting()
    shared = _Shared("counting", backend)
    with remembering():
        assert shared.encode(["hi", "thanks", "hi"])[:, 0].tolist() == [2, 6, 2]
        shared.encode(["thanks", "bye"])
    with remembering():
        shared.encode(["hi"])
    assert backend.asked == ["hi", "thanks", "bye", "hi"]


def test_vectors_given_to_remembering_carry_over_to_the_next_block():
    backend = Counting()
    shared = _Shared("counting", backend)
    kept: dict = {}
    with remembering(kept):
        shared.encode(["hi", "thanks"])
    with remembering(kept):
        assert shared.encode(["thanks", "bye"])[:, 0].tolist() == [6, 3]
    assert backend.asked == ["hi", "thanks", "bye"]
    assert list(kept["counting"]) == ["hi", "thanks", "bye"]


def test_forget_oldest_keeps_the_texts_last_remembered():
    kept = {"a": {text: np.zeros(1) for text in ("one", "two", "three")}, "b": {"x": np.zeros(1)}}
    forget_oldest(kept, 2)
    assert list(kept["a"]) == ["two", "three"] and list(kept["b"]) == ["x"]


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("3", 3), ("2,1", 2), ("", None), ("0", None),
                                                 ("many", None)])
def test_default_threads_follow_omp_num_threads_when_it_is_a_count(monkeypatch, value, expected):
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert default_threads() == (expected if expected is not None else 4)
