"""What every executor offers the batch runner: submit a unit, take results as they finish, close."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable, Iterator

from callscope.conversation import Conversation

Outcome = Conversation | Exception     # what a unit returned, or the exception it raised


class Executor(ABC):
    """Runs units of work (callables taking the loaded models, returning a Conversation). Used as a
    context manager: leaving it closes it, cancelling what is still pending when an exception (Ctrl-C) left."""

    @abstractmethod
    def submit(self, unit: Callable, tag: object) -> None:
        """Queue `unit`; its outcome comes back from `results()` with `tag`."""

    @abstractmethod
    def results(self) -> Iterator[tuple[object, Outcome]]:
        """(tag, outcome) of every submitted unit, in the order they finish."""

    @abstractmethod
    def close(self, cancel: bool = False) -> None:
        """Release the workers; with `cancel`, pending units are dropped and running ones not waited for."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        self.close(cancel=kind is not None)
