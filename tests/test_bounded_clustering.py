"""Clustering a long call's embeddings with linkage on at most MAX_EMBEDDINGS of them (issue 17)."""

from __future__ import annotations

import numpy as np
from pyannote.audio.pipelines.clustering import AgglomerativeClustering
from pyannote.core import SlidingWindow, SlidingWindowFeature

from callscope.pipeline import bounded_clustering
from callscope.pipeline.bounded_clustering import BoundedAgglomerativeClustering

PARAMETERS = {"method": "centroid", "threshold": 0.8, "min_cluster_size": 12}


def embeddings_of_two_voices(chunks: int) -> tuple[np.ndarray, SlidingWindowFeature]:
    """Per chunk: voice A in slot 0, voice B in slot 1, slot 2 silent."""
    rng = np.random.default_rng(3)
    voices = rng.normal(size=(2, 64))
    embeddings = np.full((chunks, 3, 64), np.nan)
    for slot in (0, 1):
        embeddings[:, slot] = voices[slot] + rng.normal(0, 0.6, size=(chunks, 64))
    activity = np.zeros((chunks, 50, 3))
    activity[:, :25, 0] = activity[:, 25:, 1] = 1
    return embeddings, SlidingWindowFeature(activity, SlidingWindow(duration=10.0, step=1.0))


def clusters(clustering, embeddings, segmentations) -> np.ndarray:
    clustering.instantiate(PARAMETERS)
    hard, _, _ = clustering(embeddings.copy(), segmentations=segmentations)
    return hard[:, :2]


def test_linkage_sees_at_most_max_embeddings_and_every_chunk_gets_its_voice(monkeypatch):
    embeddings, segmentations = embeddings_of_two_voices(900)
    bounded = BoundedAgglomerativeClustering(metric="cosine")
    assert len(bounded.filter_embeddings(embeddings, segmentations)[0]) == 1800     # under the bound: all
    monkeypatch.setattr(bounded_clustering, "MAX_EMBEDDINGS", 500)
    kept, chunks, _ = bounded.filter_embeddings(embeddings, segmentations)
    assert len(kept) == 500 and chunks.min() == 0 and chunks.max() == 899       # spread over the whole call
    found = clusters(bounded, embeddings, segmentations)
    full = clusters(AgglomerativeClustering(metric="cosine"), embeddings, segmentations)
    assert np.array_equal(found == found[0, 0], full == full[0, 0])                # the same partition
    assert len(set(found[:, 0])) == 1 and len(set(found[:, 1])) == 1 and found[0, 0] != found[0, 1]
