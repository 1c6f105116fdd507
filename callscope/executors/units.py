"""Units of work an executor runs: picklable callables that take the loaded models (a CallProcessor)
and return the Conversation, checking first that the input is the one the driver planned."""

from __future__ import annotations

import hashlib
import socket
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from callscope.conversation import Conversation
from callscope.errors import InputError
from callscope.files import sha256_file
from callscope.pipeline.ingest import InputFile
from callscope.pipeline.process import CallProcessor


class PathNotShared(InputError):
    """The input path cannot be read where the unit runs (a worker on another machine)."""


@dataclass(frozen=True)
class AudioCall:
    """One recording: its path, the sha256 the driver planned it with, and its bytes when they are sent
    (a worker that cannot read the path gets them; they are decoded from a private temporary copy)."""

    item: InputFile
    sha256: str
    data: bytes | None = None

    def with_bytes(self) -> "AudioCall":
        """This unit carrying the recording's bytes (read here, on the driver)."""
        return replace(self, data=self.item.path.read_bytes())

    def __call__(self, processor: CallProcessor) -> Conversation:
        path = self.item.path
        if self.data is None:
            try:
                self._check(sha256_file(path))
            except OSError as exc:
                raise PathNotShared(f"{path}: not readable on {socket.gethostname()} "
                                    f"({exc.strerror or exc})") from None
            return processor.process(self.item, self.sha256)
        self._check(hashlib.sha256(self.data).hexdigest())
        with tempfile.TemporaryDirectory(prefix="callscope-") as folder:
            copy = Path(folder) / path.name
            copy.write_bytes(self.data)
            try:
                conversation = processor.process(replace(self.item, path=copy), self.sha256)
            except InputError as exc:      # named by the recording's own path, as when it runs locally
                raise InputError(str(exc).replace(str(copy), str(path))) from None
        conversation.source.path = str(path)
        return conversation

    def _check(self, sha256: str) -> None:
        if sha256 != self.sha256:
            raise InputError(f"{self.item.path}: changed since the batch checked it (sha256 differs); "
                             f"run again to process the new content")
