"""The fixed texts' vectors are embedded once and then read from the cache, exactly as computed."""

from __future__ import annotations

import numpy as np
import pytest

from callscope.nlp import fixed_vectors
from callscope.nlp.fixed_vectors import fixed_unit_embeddings


class CountingEmbedder:
    """A deterministic stand-in for a pinned embedder that counts the texts it encodes."""

    dim = 3

    def __init__(self, name: str = "minilm", model_path: str | None = None):
        self.name, self.model_path, self.encoded = name, model_path, []

    def encode(self, texts):
        self.encoded += list(texts)
        return np.array([[len(t), t.count("a") + 1, 2.0] for t in texts], np.float32)


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLSCOPE_CACHE", str(tmp_path))
    return tmp_path / "vectors"


def test_a_second_start_reads_the_same_vectors():
    first, second = CountingEmbedder(), CountingEmbedder()
    computed = fixed_unit_embeddings(first, ["refund please", "a late parcel"])
    cached = fixed_unit_embeddings(second, ["refund please", "a late parcel"])
    assert first.encoded == ["refund please", "a late parcel"] and second.encoded == []
    assert cached.dtype == np.float32 and np.array_equal(cached, computed)
    np.testing.assert_allclose(np.linalg.norm(cached, axis=1), 1.0, rtol=1e-6)


def test_other_texts_or_another_model_are_embedded_again():
    fixed_unit_embeddings(CountingEmbedder(), ["refund please"])
    changed, other_model = CountingEmbedder(), CountingEmbedder("use")
    fixed_unit_embeddings(changed, ["refund please", "new reason"])
    fixed_unit_embeddings(other_model, ["refund please"])
    assert changed.encoded == ["refund please", "new reason"] and other_model.encoded == ["refund please"]


def test_a_damaged_file_is_embedded_again_and_replaced(cache):
    computed = fixed_unit_embeddings(CountingEmbedder(), ["refund please"])
    [path] = cache.iterdir()
    path.write_bytes(b"not numpy")
    again = CountingEmbedder()
    assert np.array_equal(fixed_unit_embeddings(again, ["refund please"]), computed)
    assert again.encoded == ["refund please"]
    assert np.array_equal(np.load(path), computed)


def test_an_embedder_given_by_path_or_unpinned_is_never_cached(cache):
    fixed_unit_embeddings(CountingEmbedder(model_path="/my/model"), ["x"])
    fixed_unit_embeddings(CountingEmbedder("vader"), ["x"])
    assert not cache.exists()


def test_an_unwritable_cache_only_costs_the_time(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("CALLSCOPE_CACHE", str(tmp_path / "file"))   # a file where the folder should be
    embedder = CountingEmbedder()
    assert fixed_unit_embeddings(embedder, ["x"]).shape == (1, 3) and embedder.encoded == ["x"]
    assert fixed_vectors._vectors_file(embedder, ["x"]).parent == tmp_path / "file" / "vectors"
