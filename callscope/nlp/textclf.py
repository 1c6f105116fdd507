"""Sentiment or emotion from a transformers text-classification model instead of the bundled heads.

The model is a local directory or a hub name (loaded from the local cache when
HF_HUB_OFFLINE is set). Its labels (`id2label`) are mapped onto callscope's: common
names are recognised ("POS", "negative", "4 stars", "happy"...), anything else needs a
mapping in the config; several model labels may map to one of ours (their
probabilities add up).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence, get_args

import numpy as np

from callscope.conversation import Emotion, Polarity
from callscope.errors import ConfigError, ModelError

CLASSES = {"sentiment": list(get_args(Polarity)), "emotion": list(get_args(Emotion))}
HEADS = "heads"     # the spec that means the bundled heads

# Model label (lower case, "_" and "-" read as spaces) -> our label.
KNOWN_LABELS = {
    "sentiment": {
        "negative": "negative", "neg": "negative", "very negative": "negative", "1 star": "negative",
        "2 stars": "negative", "neutral": "neutral", "neu": "neutral", "3 stars": "neutral",
        "positive": "positive", "pos": "positive", "very positive": "positive", "4 stars": "positive",
        "5 stars": "positive"},
    "emotion": {
        "anger": "anger", "angry": "anger", "disgust": "disgust", "disgusted": "disgust", "fear": "fear",
        "fearful": "fear", "afraid": "fear", "scared": "fear", "joy": "joy", "happy": "joy", "happiness": "joy",
        "neutral": "neutral", "sadness": "sadness", "sad": "sadness", "surprise": "surprise",
        "surprised": "surprise"},
}


def _key(label: str) -> str:
    return " ".join(str(label).lower().replace("_", " ").replace("-", " ").split())


def label_map(task: str, model_labels: Sequence[str], mapping: dict[str, str] | None, model: str) -> list[str]:
    """Our label for each model label, from `mapping` (model label -> ours) or KNOWN_LABELS.

    A label that cannot be mapped, or a mapping to a label that is not ours, is a one-line ConfigError.
    """
    classes = CLASSES[task]
    given = {_key(k): v for k, v in (mapping or {}).items()}
    wrong = sorted({v for v in given.values() if v not in classes})
    if wrong:
        raise ConfigError(f"{task} model {model}: label mapping gives {', '.join(map(repr, wrong))}, "
                          f"not one of {', '.join(classes)}")
    ours = [given.get(_key(label)) or KNOWN_LABELS[task].get(_key(label)) for label in model_labels]
    missing = [label for label, mapped in zip(model_labels, ours) if mapped is None]
    if missing:
        example = ", ".join(f"{label}: {classes[0]}" for label in missing[:2])
        raise ConfigError(f"{task} model {model}: cannot map its labels {', '.join(map(repr, missing))} to "
                          f"{', '.join(classes)}; give a mapping in enrich.{task}_labels, e.g. {{{example}}}")
    return ours


def _is_path(spec: str) -> bool:
    return spec.startswith(("/", "./", "../", "~")) or Path(spec).expanduser().exists()


class TextClassifier:
    """A transformers sequence-classification model with `classes` and
    `predict(texts) -> (labels, probabilities)`, like `callscope.nlp.heads.Classifier`."""

    def __init__(self, task: str, model: str, labels: dict[str, str] | None = None,
                 batch_size: int = 32, max_length: int = 256):
        if task not in CLASSES:
            raise ValueError(f"unknown task {task!r}; choose from {sorted(CLASSES)}")
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.task, self.model_name, self.classes = task, model, CLASSES[task]
        self.batch_size, self.max_length = batch_size, max_length
        source = str(Path(model).expanduser()) if _is_path(model) else model
        if _is_path(model) and not Path(source).is_dir():
            raise ModelError(f"{task} model {model}: directory not found")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source)
            self.model = AutoModelForSequenceClassification.from_pretrained(source).eval()
        except (OSError, ValueError) as err:
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ModelError(f"{task} model {model}: cannot load it as a text classifier ({reason}); "
                             f"a folder of retrained heads holds a manifest.json") from None
        config = self.model.config
        ours = label_map(task, [config.id2label[i] for i in range(config.num_labels)], labels, model)
        self._to_ours = np.zeros((config.num_labels, len(self.classes)), np.float32)
        for i, label in enumerate(ours):
            self._to_ours[i, self.classes.index(label)] = 1.0
        self._multi_label = config.problem_type == "multi_label_classification"

    def predict(self, texts: Sequence[str], language: str | None = None) -> tuple[list[str], np.ndarray]:
        """Labels and probabilities over `self.classes`, one row per text (the model handles
        whatever languages it was trained on: `language` is accepted for interface parity)."""
        import torch

        rows = []
        for start in range(0, len(texts), self.batch_size):
            batch = self.tokenizer(list(texts[start:start + self.batch_size]), padding=True, truncation=True,
                                   max_length=self.max_length, return_tensors="pt")
            with torch.inference_mode():
                logits = self.model(**batch).logits.float()
            if self._multi_label:   # independent sigmoids, normalised into one distribution
                scores = torch.sigmoid(logits)
                rows.append((scores / scores.sum(-1, keepdim=True).clamp_min(1e-12)).numpy())
            else:
                rows.append(torch.softmax(logits, -1).numpy())
        probs = np.vstack(rows) @ self._to_ours if rows else np.zeros((0, len(self.classes)), np.float32)
        return [self.classes[i] for i in probs.argmax(axis=1)], probs


def load_text_classifier(task: str, spec: str = HEADS, labels: dict[str, str] | None = None):
    """The classifier for `task` ("sentiment" or "emotion"): the bundled heads when `spec` is
    "heads", heads retrained with `python -m callscope.nlp.train_heads` when it is their folder
    (it holds their manifest.json), else the transformers model at that path or hub name (see
    `TextClassifier`)."""
    from callscope.nlp.heads import HEADS_DIR, MANIFEST, Classifier, HeadError

    heads_dir = HEADS_DIR if spec == HEADS else Path(spec) if (Path(spec) / MANIFEST).is_file() else None
    if heads_dir is None:
        return TextClassifier(task, spec, labels)
    try:
        return Classifier(task, heads_dir=heads_dir)
    except HeadError as err:
        raise ModelError(str(err)) from None
