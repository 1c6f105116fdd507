"""Calls processed by worker threads of this process, all sharing one loaded CallProcessor (`--jobs N`)."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Callable, Iterator

from callscope.executors.base import Executor, Outcome
from callscope.pipeline.process import CallProcessor


class ThreadExecutor(Executor):
    """`jobs` threads; the models are shared (CallProcessor serialises what cannot run twice at once)."""

    def __init__(self, processor: CallProcessor, jobs: int):
        self.processor = processor
        self.pool = ThreadPoolExecutor(max_workers=jobs)
        self.pending: dict[Future, object] = {}

    def submit(self, unit: Callable, tag: object) -> None:
        self.pending[self.pool.submit(unit, self.processor)] = tag

    def results(self) -> Iterator[tuple[object, Outcome]]:
        for future in as_completed(list(self.pending)):
            tag = self.pending.pop(future)
            exception = future.exception()
            yield tag, exception if exception is not None else future.result()

    def close(self, cancel: bool = False) -> None:
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)
