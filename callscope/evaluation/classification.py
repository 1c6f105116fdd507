"""Labelled texts (JSONL) and the figures of a classifier on them: accuracy, macro-F1,
per-class precision/recall/F1 and a confusion table. Shared by `callscope eval sentiment`,
`eval emotion` and `eval reasons`."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Callable, Collection, Sequence

from sklearn.metrics import f1_score, precision_recall_fscore_support

from callscope.errors import CallscopeError
from callscope.nlp.interfaces import LabelPredictor

MAX_CONFUSION_LABELS = 25   # larger confusion tables are left out (see `top_confusions`)


def read_labelled(path: Path, text_field: str = "text", label_field: str = "label",
                  allowed: Collection[str] | None = None) -> tuple[list[str], list[str]]:
    """Texts and labels of a JSONL file; a bad line (or a label not in `allowed`) is a one-line
    error naming the file and the line."""
    texts, labels = [], []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise CallscopeError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise CallscopeError(f"{path}: cannot read it as UTF-8 text ({type(err).__name__})") from None
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
        label = str(item[label_field])
        if allowed is not None and label not in allowed:
            raise CallscopeError(f"{path}: line {number}: label {label!r} is not one of {', '.join(allowed)}")
        texts.append(item[text_field])
        labels.append(label)
    if not texts:
        raise CallscopeError(f"{path}: no items")
    return texts, labels


def figures(labels: Sequence[str], predicted: Sequence[str], top_confusions: int = 10) -> dict:
    """Accuracy, macro-F1 (over the true labels present), per-class figures, the most frequent
    confusions and, for up to MAX_CONFUSION_LABELS labels, the confusion table
    (`matrix[i][j]`: items of true label `labels[i]` predicted `labels[j]`)."""
    n = len(labels)
    present = sorted(set(labels))
    every = present + sorted(set(predicted) - set(present))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=every, zero_division=0) if n else ([], [], [], [])
    pairs = Counter(zip(labels, predicted))
    confusion = None
    if n and len(every) <= MAX_CONFUSION_LABELS:
        confusion = {"labels": every, "matrix": [[pairs[(t, p)] for p in every] for t in every]}
    return {
        "n": n,
        "accuracy": sum(t == p for t, p in zip(labels, predicted)) / n if n else None,
        "macro_f1": float(f1_score(labels, predicted, labels=present, average="macro", zero_division=0))
        if n else None,
        "per_class": {label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
                      for label, p, r, f, s in zip(every, precision, recall, f1, support)},
        "top_confusions": [{"label": t, "predicted": p, "count": c}
                           for (t, p), c in pairs.most_common() if t != p][:top_confusions],
        "confusion": confusion,
    }


def evaluate(path: Path, classifier: LabelPredictor, text_field: str = "text", label_field: str = "label",
             on_batch: Callable[[int, int], None] | None = None, batch_size: int = 64) -> dict:
    """Figures of a classifier with `classes` and `predict(texts) -> (labels, probabilities)`
    (sentiment or emotion) on a JSONL file whose labels are among its classes.
    `on_batch(done, total)` is called after each batch of texts."""
    texts, labels = read_labelled(path, text_field, label_field, allowed=classifier.classes)
    predicted: list[str] = []
    for start in range(0, len(texts), batch_size):
        predicted += classifier.predict(texts[start:start + batch_size])[0]
        if on_batch:
            on_batch(len(predicted), len(texts))
    return figures(labels, predicted)
