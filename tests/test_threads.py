"""The shared one-thread switch for torch (diarisation and enrichment may overlap in worker threads)."""

from __future__ import annotations

import threading

import torch

from callscope.threads import one_torch_thread


def default_threads() -> int:
    """The thread count a thread gets when it first runs torch (`set_num_threads` also sets it)."""
    found: list[int] = []
    probe = threading.Thread(target=lambda: found.append(torch.get_num_threads()))
    probe.start()
    probe.join()
    return found[0]


def test_overlapping_users_keep_one_thread_until_the_last_leaves():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        first, second = one_torch_thread(), one_torch_thread()
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)          # the first stage ends while the second runs
        assert default_threads() == 1
        second.__exit__(None, None, None)
        assert default_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_threads_entering_at_once_restore_the_count():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    inside, release = threading.Barrier(4), threading.Event()

    def stage() -> None:
        with one_torch_thread():
            inside.wait()
            release.wait()

    workers = [threading.Thread(target=stage) for _ in range(3)]
    try:
        for worker in workers:
            worker.start()
        inside.wait()
        assert default_threads() == 1
        release.set()
        for worker in workers:
            worker.join()
        assert default_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_one_blas_thread_limits_numpy_blas_and_restores_it():
    import numpy  # noqa: F401  (its BLAS is among the pools found)
    from threadpoolctl import threadpool_info, threadpool_limits

    from callscope.threads import one_blas_thread

    def blas_threads() -> set[int]:
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    with threadpool_limits(2, user_api="blas"):
        assert blas_threads() == {2}
        with one_blas_thread():
            assert blas_threads() == {1}
        assert blas_threads() == {2}
