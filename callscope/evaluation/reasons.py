"""Contact-reason accuracy: the reason classifier against labelled texts (JSONL).

Items whose label is a taxonomy reason are in scope: they give accuracy (an
`unknown` answer counts as wrong), top-1 accuracy (the best reason, threshold
ignored), macro-F1 over their labels, per-reason figures and the confusions
(`callscope.evaluation.classification.figures`). Items with any other label
(e.g. `oos`) are out of scope: they give the share answered `unknown`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from callscope.evaluation.classification import figures, read_labelled
from callscope.nlp.reasons import ReasonClassifier
from callscope.nlp.taxonomy import UNKNOWN


def score(labels: Sequence[str], predicted: Sequence[str], best: Sequence[str], reason_ids: Sequence[str],
          top_confusions: int = 10) -> dict:
    """Figures for predictions (`unknown` allowed) and best reasons against true labels."""
    known = set(reason_ids)
    inside = [i for i, label in enumerate(labels) if label in known]
    outside = [i for i, label in enumerate(labels) if label not in known]

    def share(items: list[int], test) -> float | None:
        return sum(1 for i in items if test(i)) / len(items) if items else None

    in_scope = figures([labels[i] for i in inside], [predicted[i] for i in inside], top_confusions)
    return {
        **in_scope,
        "n": len(labels),
        "n_in_scope": len(inside),
        "n_out_of_scope": len(outside),
        "accuracy_top1": share(inside, lambda i: best[i] == labels[i]),
        "unknown_rate_in_scope": share(inside, lambda i: predicted[i] == UNKNOWN),
        "unknown_rate_out_of_scope": share(outside, lambda i: predicted[i] == UNKNOWN),
    }


def evaluate(path: Path, classifier: ReasonClassifier, text_field: str = "text", label_field: str = "label",
             language: str | None = None) -> dict:
    """Classify every item of a JSONL file and score it (see `score`)."""
    texts, labels = read_labelled(path, text_field, label_field)
    results = classifier.classify(texts, language)
    found = score(labels, [r.reason for r in results], [r.best for r in results], classifier.ids)
    return {**found, "threshold": classifier.threshold}
