"""File helpers: content hashes and atomic writes (a reader never sees half a file)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterable

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's content."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write text (UTF-8) so that `path` holds either the old or the new content."""
    _atomic(path, lambda handle: handle.write(text.encode("utf-8")))


def atomic_concat(path: Path, parts: Iterable[Path], expected_sha256: str) -> None:
    """Concatenate `parts` into `path`, atomically, only if the result has the expected hash."""

    def write(handle: BinaryIO) -> None:
        digest = hashlib.sha256()
        for part in parts:
            with open(part, "rb") as source:
                for block in iter(lambda: source.read(CHUNK), b""):
                    digest.update(block)
                    handle.write(block)
        if digest.hexdigest() != expected_sha256:
            raise ValueError(f"checksum mismatch for {path.name}: got {digest.hexdigest()}")

    _atomic(path, write)
