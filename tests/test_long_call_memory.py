"""Long calls in bounded memory: freed heap pages go back to the system after each batch of speaker
embeddings, and a long waveform's fbank is computed in pieces."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from callscope.pipeline import heap
from callscope.pipeline.campplus import DIMENSION, CAMPPlusEmbedding

ROOT = Path(__file__).resolve().parent.parent


FRAGMENT = """
import ctypes
import numpy as np, psutil
from callscope.pipeline import heap
ctypes.CDLL(None).mallopt(-3, 64 * 2**20)  # M_MMAP_THRESHOLD: big blocks from the heap, as once glibc has raised it
big, pins = [], []
for _ in range(40):  # 4 MB buffers, each followed by a small block that outlives it
    big.append(np.ones(2**19))
    pins.append(np.ones(1000))
del big
process = psutil.Process()
held = process.memory_info().rss
trimmed = heap.trim()
print(trimmed, (held - process.memory_info().rss) // 2**20)
"""


def test_trim_returns_the_holes_that_long_lived_allocations_pin():
    """In a process of its own: the test changes glibc's mmap threshold for good."""
    out = subprocess.run([sys.executable, "-c", FRAGMENT], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.split()
    if out[0] != "True":
        pytest.skip("the C library has no malloc_trim (not glibc)")
    assert int(out[1]) > 100  # MB: the 160 MB of freed buffers were resident until trimmed


class Silent(torch.nn.Module):
    """Stands in for CAM++: one zero embedding per selection."""

    def forward(self, features):
        return torch.zeros(len(features), DIMENSION)


def test_each_batch_of_embeddings_trims_the_heap(monkeypatch):
    trims = []
    monkeypatch.setattr(heap, "trim", lambda: trims.append(1) or True)
    embedding = CAMPPlusEmbedding(Silent(), workers=2)
    for _ in range(3):
        embedding(torch.randn(3, 1, 16000), torch.ones(3, 59))
    assert len(trims) == 3


def test_the_fbank_of_a_long_waveform_in_pieces_is_the_whole_one():
    embedding = CAMPPlusEmbedding(Silent())
    waveform = torch.randn(16000 * 25 + 123) * 0.1
    whole = embedding.fbank(waveform)
    assert torch.equal(embedding.long_fbank(waveform, piece_frames=700), whole)
    assert torch.equal(embedding.long_fbank(waveform[:16000], piece_frames=700), embedding.fbank(waveform[:16000]))
