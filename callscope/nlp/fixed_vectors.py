"""Unit embeddings of the configuration's fixed texts (the taxonomy's reasons, opinion, signal and role
examples), kept on disk so that each process start (each run, each worker) does not embed them again.

Embedding them took about half of the text models' start-up (some 20 CPU seconds on 2 cores). Only
texts from the configuration go through here, never a call's words. A file is named by the embedder,
the sha256 of its pinned model files and the texts, so a changed taxonomy or model never reads old
vectors; an unreadable or mismatched file is embedded again, and a cache that cannot be written only
costs the time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from callscope.nlp.embeddings import unit_embeddings
from callscope.nlp.interfaces import Embedder
from callscope.registry import EMBEDDERS, cache_dir


def _vectors_file(embedder: Embedder, texts: Sequence[str]) -> Path | None:
    """Where the vectors of `texts` by `embedder` are kept; None for an embedder not pinned in the
    registry (a model given by path is yours: it may change under the same name)."""
    model = EMBEDDERS.get(getattr(embedder, "name", ""))
    backend = getattr(embedder, "backend", embedder)
    if model is None or getattr(backend, "model_path", None):
        return None
    digest = hashlib.sha256()
    for part in [model.name, *sorted(f"{path}={sha}" for path, sha in model.files.items()), *texts]:
        digest.update(part.encode("utf-8") + b"\0")
    return cache_dir() / "vectors" / f"{model.name}-{digest.hexdigest()[:32]}.npy"


def fixed_unit_embeddings(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """`unit_embeddings(embedder, texts)`, read from the cache when it holds them."""
    path = _vectors_file(embedder, texts)
    if path is not None:
        try:
            vectors = np.load(path, allow_pickle=False)
            if vectors.shape == (len(texts), embedder.dim) and vectors.dtype == np.float32:
                return vectors
        except (OSError, ValueError):
            pass
    vectors = unit_embeddings(embedder, texts)
    if path is not None:
        _save(path, vectors)
    return vectors


def _save(path: Path, vectors: np.ndarray) -> None:
    """Write atomically (workers may start together); give up quietly when the cache is not writable."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as file:
            np.save(file, vectors, allow_pickle=False)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
