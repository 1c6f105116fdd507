"""Embeddings shared by overlapping diarisation windows (pipeline/shared_embeddings.py)."""

from __future__ import annotations

import numpy as np

from callscope.pipeline.shared_embeddings import borrowed


def windows_of(timeline: np.ndarray, frames: int, shift: int) -> np.ndarray:
    """(num_windows, frames, speakers) local views of a (time, speakers) activity, windows `shift` apart;
    the local speaker order reversed in odd windows, as a segmentation may permute them."""
    views = [timeline[start:start + frames] for start in range(0, len(timeline) - frames + 1, shift)]
    return np.stack([v[:, ::-1] if i % 2 else v for i, v in enumerate(views)])


def test_windows_off_the_stride_borrow_the_same_voice_from_the_nearest_embedded_window():
    timeline = np.zeros((30, 2), bool)
    timeline[0:12, 0] = True        # voice A, then voice B
    timeline[12:30, 1] = True
    active = windows_of(timeline, frames=10, shift=2)     # 11 windows
    plan = borrowed(active, shift=2, stride=2)
    # window 1 (local speakers reversed) holds A on local speaker 1, which is speaker 0 of window 0
    assert plan[(1, 1)] == (0, 0)
    assert all(window % 2 == 1 and window != len(active) - 1 for window, _ in plan)
    for (window, speaker), (anchor, match) in plan.items():
        assert abs(anchor - window) == 1 and active[anchor, :, match].any()


def test_a_voice_the_embedded_windows_heard_merged_with_another_is_embedded():
    active = np.zeros((3, 10, 2), bool)      # windows 2 frames apart; window 1 off the stride
    active[0, :, 0] = True                   # windows 0 and 2: voices A and B as one local speaker
    active[2, :, 0] = True
    active[1, 0:4, 0] = True                 # window 1: A, then B
    active[1, 4:10, 1] = True
    plan = borrowed(active, shift=2, stride=2)
    assert (1, 0) not in plan and (1, 1) not in plan


def test_stride_one_embeds_every_window():
    assert borrowed(np.ones((5, 10, 3), bool), shift=2, stride=1) == {}
