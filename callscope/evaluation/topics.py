"""Topic quality on labelled texts (JSONL): agreement with the labels, outliers and coherence.

The texts are modelled exactly as a first `update_topics` would model calls (same settings,
embedder chosen the same way, outliers reduced). Figures:

- `nmi`, `ari`: normalised mutual information (arithmetic mean) and adjusted Rand index of
  topics against labels, over every text; the outliers count as one more cluster (-1).
- `outlier_share`: texts left in topic -1 after outlier reduction.
- `n_topics`: topics with at least one text.
- `npmi`: coherence of the topics' keywords, the mean over topics of the mean normalised PMI
  of every pair of its keywords, from document co-occurrence in the evaluated texts themselves:
  NPMI(a, b) = log(P(a,b) / (P(a) P(b))) / -log P(a,b), with P(x) the share of texts containing
  term x (a word or word pair, analysed as for the keywords); -1 when a pair never co-occurs,
  1 when both terms are in every text. Ranges from -1 to 1; higher is more coherent.
"""

from __future__ import annotations

import math
from collections import Counter
from itertools import combinations
from pathlib import Path
from time import perf_counter
from typing import Sequence

from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from callscope.config import TopicSettings
from callscope.corpus.topics import OUTLIER, clean, fit_topics, term_sets
from callscope.evaluation.reasons import read_labelled


def npmi(keywords: Sequence[str], documents: Sequence[set[str]]) -> float | None:
    """Mean NPMI over the pairs of `keywords` found in `documents` (sets of terms); None for < 2 keywords."""
    pairs = list(combinations(dict.fromkeys(keywords), 2))
    if not pairs or not documents:
        return None
    total = len(documents)
    df = Counter(term for doc in documents for term in doc if term in keywords)
    scores = []
    for a, b in pairs:
        joint = sum(1 for doc in documents if a in doc and b in doc) / total
        if joint == 0:
            scores.append(-1.0)
        elif joint == 1:
            scores.append(1.0)
        else:
            scores.append(math.log(joint / (df[a] / total * df[b] / total)) / -math.log(joint))
    return sum(scores) / len(scores)


def score(labels: Sequence[str], topic_ids: Sequence[int], keywords: dict[int, list[str]],
          documents: Sequence[set[str]]) -> dict:
    """NMI, ARI, outlier share, topic count and mean keyword NPMI (module docstring)."""
    coherence = {t: npmi(words, documents) for t, words in keywords.items() if t in set(topic_ids)}
    known = [c for c in coherence.values() if c is not None]
    return {
        "n": len(labels),
        "n_labels": len(set(labels)),
        "nmi": float(normalized_mutual_info_score(labels, topic_ids)),
        "ari": float(adjusted_rand_score(labels, topic_ids)),
        "outlier_share": sum(t == OUTLIER for t in topic_ids) / len(topic_ids) if topic_ids else 0.0,
        "n_topics": len(set(topic_ids) - {OUTLIER}),
        "npmi": sum(known) / len(known) if known else None,
    }


def evaluate(path: Path, settings: TopicSettings, text_field: str = "text", label_field: str = "label",
             embedder=None) -> dict:
    """Model the texts of a JSONL file and score the topics against its labels."""
    texts, labels = read_labelled(path, text_field, label_field)
    started = perf_counter()
    model, assignment = fit_topics(texts, settings, embedder)
    seconds = perf_counter() - started
    keywords = {t.topic_id: t.keywords for t in model.topics}
    documents = term_sets([clean(t) for t in texts], model.embedder == "minilm")
    figures = score(labels, assignment.topic_ids, keywords, documents)
    sizes = Counter(assignment.topic_ids)
    note = (f"{len(texts)} texts: fewer than topics.min_documents ({settings.min_documents}), so no topics"
            if len(texts) < settings.min_documents else None)
    return {**figures, "embedder": model.embedder, "seconds": round(seconds, 1), "note": note,
            "settings": settings.model_dump(mode="json"),
            "topics": [{"topic_id": t.topic_id, "label": t.label, "size": sizes[t.topic_id],
                        "keywords": t.keywords} for t in model.topics]}
