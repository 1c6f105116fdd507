"""One intra-op thread for torch, shared by the stages that want it (diarisation, enrichment),
and one thread for the BLAS and OpenMP libraries.

`torch.set_num_threads` sets the calling thread's count and the default that threads take when
they first run torch (pyannote's embedding workers, the next call's worker): a process-wide
setting in effect, which this switch changes once for all the callers inside it.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import lru_cache
from typing import ContextManager, Iterator

_lock = threading.Lock()
_inside = 0          # callers inside `one_torch_thread` now
_before = 1          # torch's thread count when the first of them came in


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run torch on one intra-op thread while any caller is inside; the count from before the
    first caller is restored when the last one leaves. Diarisation and enrichment of different
    calls may overlap in worker threads: each saving and restoring the count itself could leave
    torch on one thread for good, or give a running stage its threads back too early."""
    import torch

    global _inside, _before
    with _lock:
        if _inside == 0:
            _before = torch.get_num_threads()
            torch.set_num_threads(1)
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0:
                torch.set_num_threads(_before)


@lru_cache(maxsize=None)
def _thread_pools():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread() -> ContextManager:
    """`threadpool_limits(1)` over the thread pools (BLAS, OpenMP) loaded when first called: the
    libraries are looked for once, not on every call (4 ms of CPU each time, on small problems
    called once per conversation)."""
    return _thread_pools().limit(limits=1)
