"""Contact-reason accuracy: the reason classifier against labelled texts (JSONL).

Items whose label is a taxonomy reason are in scope: they give accuracy (an
`unknown` answer counts as wrong), top-1 accuracy (the best reason, threshold
ignored), macro-F1 over their labels and the most frequent confusions. Items
with any other label (e.g. `oos`) are out of scope: they give the share
answered `unknown`.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Sequence

from sklearn.metrics import f1_score

from callscope.errors import CallscopeError
from callscope.nlp.reasons import ReasonClassifier
from callscope.nlp.taxonomy import UNKNOWN


def read_labelled(path: Path, text_field: str = "text", label_field: str = "label") -> tuple[list[str], list[str]]:
    """Texts and labels of a JSONL file; a bad line is a one-line error naming it."""
    texts, labels = [], []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise CallscopeError(f"{path}: file not found") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            raise CallscopeError(f"{path}: line {number}: not valid JSON") from None
        if not isinstance(item, dict) or not isinstance(item.get(text_field), str) or item.get(label_field) is None:
            raise CallscopeError(f"{path}: line {number}: needs a text field {text_field!r} and a label "
                                 f"field {label_field!r}")
        texts.append(item[text_field])
        labels.append(str(item[label_field]))
    if not texts:
        raise CallscopeError(f"{path}: no items")
    return texts, labels


def score(labels: Sequence[str], predicted: Sequence[str], best: Sequence[str], reason_ids: Sequence[str],
          top_confusions: int = 10) -> dict:
    """Figures for predictions (`unknown` allowed) and best reasons against true labels."""
    known = set(reason_ids)
    inside = [i for i, label in enumerate(labels) if label in known]
    outside = [i for i, label in enumerate(labels) if label not in known]
    y_true = [labels[i] for i in inside]
    y_pred = [predicted[i] for i in inside]
    confusions = Counter((t, p) for t, p in zip(y_true, y_pred) if t != p)

    def share(items: list[int], test) -> float | None:
        return sum(1 for i in items if test(i)) / len(items) if items else None

    return {
        "n": len(labels),
        "n_in_scope": len(inside),
        "n_out_of_scope": len(outside),
        "accuracy": share(inside, lambda i: predicted[i] == labels[i]),
        "accuracy_top1": share(inside, lambda i: best[i] == labels[i]),
        "macro_f1": (float(f1_score(y_true, y_pred, labels=sorted(set(y_true)), average="macro", zero_division=0))
                     if inside else None),
        "unknown_rate_in_scope": share(inside, lambda i: predicted[i] == UNKNOWN),
        "unknown_rate_out_of_scope": share(outside, lambda i: predicted[i] == UNKNOWN),
        "top_confusions": [{"label": t, "predicted": p, "count": n}
                           for (t, p), n in confusions.most_common(top_confusions)],
    }


def evaluate(path: Path, classifier: ReasonClassifier, text_field: str = "text", label_field: str = "label",
             language: str | None = None) -> dict:
    """Classify every item of a JSONL file and score it (see `score`)."""
    texts, labels = read_labelled(path, text_field, label_field)
    results = classifier.classify(texts, language)
    figures = score(labels, [r.reason for r in results], [r.best for r in results], classifier.ids)
    return {**figures, "threshold": classifier.threshold}
