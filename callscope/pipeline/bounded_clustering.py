"""pyannote's agglomerative clustering with the memory of a long call bounded.

Linkage holds the n(n-1)/2 distances of the embeddings it clusters twice (scipy copies them): 10,000
embeddings take 0.75 GB and a 2-hour two-party call has about 14,000 (two speakers in most 10 s
windows, one window a second). Above MAX_EMBEDDINGS, the dendrogram is built on MAX_EMBEDDINGS of them
spread evenly over the call; every embedding is then assigned to the nearest cluster centroid, which
pyannote does for all embeddings anyway. Calls with fewer embeddings (under about 50 minutes) are
clustered exactly as by pyannote.
"""

from __future__ import annotations

import numpy as np
from pyannote.audio.pipelines.clustering import AgglomerativeClustering

MAX_EMBEDDINGS = 6000      # linkage on at most this many: about 0.3 GB


class BoundedAgglomerativeClustering(AgglomerativeClustering):
    """AgglomerativeClustering whose linkage sees at most `MAX_EMBEDDINGS` embeddings."""

    def filter_embeddings(self, embeddings, segmentations=None, min_active_ratio: float = 0.2):
        kept, chunks, speakers = super().filter_embeddings(embeddings, segmentations, min_active_ratio)
        if len(kept) <= MAX_EMBEDDINGS:
            return kept, chunks, speakers
        spread = np.linspace(0, len(kept) - 1, MAX_EMBEDDINGS).round().astype(int)
        return kept[spread], chunks[spread], speakers[spread]
