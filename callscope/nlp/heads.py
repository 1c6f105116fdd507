"""Sentiment and emotion classifier heads over offline sentence embeddings.

A head is an `.npz` file (no pickle) holding a standard scaler and an ensemble
of small MLPs (ReLU hidden layers, softmax output); its forward pass is plain
numpy. Every head file is checked against the sha256 in `manifest.json` beside
it before it is used. `Classifier` routes English text to the English head
(MiniLM + USE + VADER features) and other languages to the multilingual USE-only head.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from callscope.nlp.embeddings import get_embedder
from callscope.nlp.language import detect_language

HEADS_DIR = Path(__file__).resolve().parents[1] / "resources" / "heads"
MANIFEST = "manifest.json"
RETRAIN = "python -m callscope.nlp.train_heads --data ../shared/data --out callscope/resources/heads"


class HeadError(RuntimeError):
    """A head file is missing, corrupt or does not match its manifest."""


def _fail(path: Path, problem: str) -> HeadError:
    return HeadError(f"classifier head {path}: {problem}; restore it with "
                     f"`git checkout -- {path.parent}` or retrain with `{RETRAIN}`")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _verified_arrays(path: Path) -> dict[str, np.ndarray]:
    """Arrays of head file `path` once its sha256 matches the manifest beside it."""
    manifest = path.parent / MANIFEST
    if not path.is_file():
        raise _fail(path, "file is missing")
    try:
        expected = json.loads(manifest.read_text())["files"][path.name]["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        raise _fail(path, f"no sha256 for it in {manifest}") from None
    if _sha256(path) != expected:
        raise _fail(path, "sha256 does not match the manifest (corrupt or modified file)")
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError) as err:
        raise _fail(path, f"unreadable ({err})") from None


def mlp_forward(x: np.ndarray, mean: np.ndarray, scale: np.ndarray,
                layers: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Softmax probabilities (n, classes) of an ensemble of ReLU MLPs, averaged over members.

    Each layer is (W, b) with W of shape (members, in, out) and b of shape (members, out).
    """
    h = ((x - mean) / scale)[None].astype(np.float32)  # (1, n, d)
    for i, (w, b) in enumerate(layers):
        h = np.matmul(h, w) + b[:, None, :]  # (members, n, out)
        if i < len(layers) - 1:
            np.maximum(h, 0, out=h)
    h -= h.max(axis=-1, keepdims=True)
    p = np.exp(h)
    p /= p.sum(axis=-1, keepdims=True)
    return p.mean(axis=0)


def layers_of(arrays: dict[str, np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (W, b) pairs stored in a head's arrays as W0, b0, W1, b1, ..."""
    return [(arrays[f"W{i}"], arrays[f"b{i}"]) for i in range(sum(k.startswith("W") for k in arrays))]


class Head:
    """One trained head: `predict(texts) -> (labels, probabilities)`.

    Arrays in the file: `classes`, `embedders` (backend names whose embeddings
    are concatenated, in order), `mean`, `scale` (standard scaler) and the
    layers W0, b0, W1, b1, ... (see `mlp_forward`; stored as float16).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        a = _verified_arrays(self.path)
        try:
            self.classes = [str(c) for c in a["classes"]]
            self.embedders = [str(e) for e in a["embedders"]]
            self.mean, self.scale = a["mean"], a["scale"]
            self.layers = [(w.astype(np.float32), b.astype(np.float32)) for w, b in layers_of(a)]
        except KeyError as err:
            raise _fail(self.path, f"array {err} is missing") from None

    def features(self, texts: Sequence[str]) -> np.ndarray:
        """Concatenated sentence embeddings the head was trained on."""
        return np.hstack([get_embedder(name).encode(texts) for name in self.embedders])

    def predict(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Labels and class probabilities (columns in `self.classes` order)."""
        if not texts:
            return [], np.zeros((0, len(self.classes)), np.float32)
        probs = mlp_forward(self.features(texts), self.mean, self.scale, self.layers)
        return [self.classes[i] for i in probs.argmax(axis=1)], probs


@lru_cache(maxsize=None)
def load_head(name: str, heads_dir: str | Path = HEADS_DIR) -> Head:
    """Shared instance of head `name` (e.g. "sentiment_en") from `heads_dir`."""
    return Head(Path(heads_dir) / f"{name}.npz")


class Classifier:
    """Sentiment or emotion classifier over two heads: `<task>_en` (MiniLM + USE +
    VADER features) for English text and `<task>_multi` (USE only) for other languages.

    `task` is "sentiment" (negative/neutral/positive) or "emotion" (anger, disgust,
    fear, joy, neutral, sadness, surprise). `language` forces one route for every
    text ("en" or any other code); None detects the language of each text.
    """

    def __init__(self, task: str, heads_dir: str | Path = HEADS_DIR, language: str | None = None):
        self.en = load_head(f"{task}_en", heads_dir)
        self.multi = load_head(f"{task}_multi", heads_dir)
        if self.en.classes != self.multi.classes:
            raise _fail(self.multi.path, f"classes differ from {self.en.path.name}")
        self.classes = self.en.classes
        self.language = language

    def predict(self, texts: Sequence[str], language: str | None = None) -> tuple[list[str], np.ndarray]:
        """Labels and probabilities (columns in `self.classes` order); `language` (e.g. the
        call's) overrides the classifier's own for this call."""
        language = language or self.language
        english = np.array([(language or detect_language(t)) == "en" for t in texts], bool)
        probs = np.zeros((len(texts), len(self.classes)), np.float32)
        for head, pick in ((self.en, english), (self.multi, ~english)):
            idx = np.flatnonzero(pick)
            if idx.size:
                probs[idx] = head.predict([texts[i] for i in idx])[1]
        return [self.classes[i] for i in probs.argmax(axis=1)], probs
