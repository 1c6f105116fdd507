"""Speaker embeddings shared by overlapping windows: CAM++ on every `stride`-th window only.

pyannote embeds each local speaker of every 10 s window, and its windows start 1 s apart, so a
speaker's voice is embedded some ten times over nearly the same frames. A window off the stride
borrows, for each of its speakers, the embedding of the speaker of the nearest embedded window
whose activity matches it on the frames both windows hold (intersection over union at least
`min_match`, and at least that share of the speaker's activity inside the shared frames); a speaker
with no such match is embedded as before. The clustering sees the same number of embeddings.
"""

from __future__ import annotations

import numpy as np

Pair = tuple[int, int]   # (window, local speaker)


def borrowed(active: np.ndarray, shift: int, stride: int, min_match: float = 0.8) -> dict[Pair, Pair]:
    """For the (num_windows, num_frames, num_speakers) boolean activity of windows `shift` frames
    apart: each (window, speaker) off the stride that can borrow -> the embedded pair it borrows from.
    Embedded windows: every `stride`-th and the last."""
    windows, frames, _ = active.shape
    plan: dict[Pair, Pair] = {}
    if stride <= 1:
        return plan
    for window in range(windows):
        if window % stride == 0 or window == windows - 1:
            continue
        before = window - window % stride
        after = min(before + stride, windows - 1)
        for speaker in np.flatnonzero(active[window].any(axis=0)):
            for anchor in sorted((before, after), key=lambda a: abs(a - window)):
                match = _match(active, window, int(speaker), anchor, abs(anchor - window) * shift, min_match)
                if match is not None:
                    plan[(window, int(speaker))] = (anchor, match)
                    break
    return plan


def _match(active: np.ndarray, window: int, speaker: int, anchor: int, offset: int, min_match: float) -> int | None:
    """The anchor window's speaker matching `speaker` of `window` over their shared frames, or None."""
    frames = active.shape[1]
    if offset >= frames:
        return None
    mine = active[window, :, speaker]
    if anchor < window:   # the window's first frames are the anchor's last ones
        shared, theirs = mine[:frames - offset], active[anchor, offset:, :]
    else:
        shared, theirs = mine[offset:], active[anchor, :frames - offset, :]
    if shared.sum() < min_match * mine.sum():
        return None
    union = (shared[:, None] | theirs).sum(axis=0)
    overlap = (shared[:, None] & theirs).sum(axis=0) / np.maximum(union, 1)
    best = int(np.argmax(overlap))
    return best if overlap[best] >= min_match else None


def share_embeddings(pipeline, stride: int, min_match: float = 0.8) -> None:
    """Make pyannote's SpeakerDiarization `pipeline` embed every `stride`-th window only (see `borrowed`);
    left as it is with embeddings without overlap (`embedding_exclude_overlap`), where a speaker set
    aside would change which frames of the others count as clean."""
    if stride <= 1 or pipeline.embedding_exclude_overlap:
        return
    from pyannote.core import SlidingWindowFeature

    embed_all = pipeline.get_embeddings

    def get_embeddings(file, binary_segmentations, exclude_overlap=False, hook=None):
        data = binary_segmentations.data
        windows = binary_segmentations.sliding_window
        shift = round(windows.step * data.shape[1] / windows.duration)
        plan = borrowed(np.nan_to_num(data) > 0.5, shift, stride, min_match)
        embedded = data.copy()
        for window, speaker in plan:
            embedded[window, :, speaker] = 0.0       # an inactive speaker is not embedded
        embeddings = embed_all(file, SlidingWindowFeature(embedded, windows), exclude_overlap, hook)
        for (window, speaker), (anchor, match) in plan.items():
            embeddings[window, speaker] = embeddings[anchor, match]
        return embeddings

    pipeline.get_embeddings = get_embeddings
