"""Loaded models that no call is using, lent to one call at a time and loaded again when none is idle."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


class Idle(Generic[T]):
    """`lend()` gives a call a model of its own: an idle one that is still `usable`, else a newly loaded one.
    Worker threads each get their own, so a model holds the state of one call at a time."""

    def __init__(self, load: Callable[[], T], usable: Callable[[T], bool] = lambda _: True):
        self._load, self._usable = load, usable
        self._idle: list[T] = []
        self._lock = threading.Lock()

    def add(self, model: T) -> None:
        """Make a loaded `model` available."""
        with self._lock:
            self._idle.append(model)

    @contextmanager
    def lend(self) -> Iterator[T]:
        with self._lock:
            model = self._idle.pop() if self._idle else None
        if model is None or not self._usable(model):
            model = self._load()
        try:
            yield model
        finally:
            self.add(model)
