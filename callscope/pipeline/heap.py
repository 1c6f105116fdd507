"""Give the C heap's free pages back to the system (glibc's `malloc_trim`), so that a long call's RSS is
what it holds, not what it once held.

Embedding a call's chunks allocates the same large transient buffers again and again (a batch of chunk
waveforms, 19 MB; CAM++'s activations, up to 9 MB) between small ones that live longer. glibc serves them
from its heaps once its sliding mmap threshold has risen to their size, and the freed holes, split by
the long-lived pieces, stay resident: 7 MB more per batch of 30 embeddings (5.4 GB for a 2-hour call)
while the memory in use stays flat. Trimming after each batch returns the free pages; it costs
milliseconds. Elsewhere than glibc (musl, macOS, Windows) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


@cache
def _malloc_trim():
    """glibc's malloc_trim, or None where the C library has none."""
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim") if name else None
    except (OSError, AttributeError):
        return None


def trim() -> bool:
    """Return the C heap's free pages to the system; whether the C library could."""
    malloc_trim = _malloc_trim()
    if malloc_trim is None:
        return False
    malloc_trim(0)
    return True
