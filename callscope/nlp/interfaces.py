"""What the text stages expect of their models: any object with these members will do."""

from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np


class Embedder(Protocol):
    """Sentence embeddings: `encode` gives a float32 array of shape (len(texts), dim)."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class LabelPredictor(Protocol):
    """A text classifier (sentiment, emotion, role): `predict` gives a label per text and the
    (n, len(classes)) probabilities, columns in `classes` order; `language` None: each text's own."""

    classes: list[str]

    def predict(self, texts: Sequence[str], language: str | None = None) -> tuple[list[str], np.ndarray]: ...
