"""File helpers: content hashes, atomic writes (a reader never sees half a file), folder locks,
private file modes and the decoding of text files users write."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from callscope.errors import OutputError

CHUNK = 1 << 20
LOCK_FILE = ".callscope.lock"
PRIVATE_UMASK = 0o077        # files 0600, folders 0700
GROUP_UMASK = 0o027          # output.group_readable: files 0640, folders 0750


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_umask = _read_umask()       # the umask in force, kept here so that reading it never changes it


@contextmanager
def private_files(group_readable: bool = False) -> Iterator[None]:
    """Files and folders created inside are readable by the owner only (or also by the group)."""
    global _umask
    mask = GROUP_UMASK if group_readable else PRIVATE_UMASK
    previous, _umask = _umask, mask
    os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)
        _umask = previous


def output_problem(folder: Path, exc: OSError) -> str:
    """One line saying why `folder` cannot be used for output."""
    if exc.errno == errno.EEXIST or (exc.errno == errno.ENOTDIR and folder.is_file()):
        return f"{folder}: is a file, not a folder"
    if exc.errno == errno.ENOTDIR:
        return f"{folder}: cannot be created (a part of the path is a file)"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{folder}: not writable ({exc.strerror})"
    if exc.errno == errno.ENAMETOOLONG:
        return f"{folder}: name too long"
    return f"{folder}: cannot be used for output ({exc.strerror or exc})"


@contextmanager
def folder_lock(folder: Path, busy: str) -> Iterator[None]:
    """Create `folder` and hold its lock file; another holder makes this an OutputError `folder: busy`.
    Temporary files a killed holder left (`.*.tmp`, see `_atomic`) are removed once the lock is held."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / LOCK_FILE, "w")
    except OSError as exc:
        raise OutputError(output_problem(folder, exc)) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(f"{folder}: {busy}") from None
        for leftover in folder.glob(".*.tmp"):
            leftover.unlink()
        yield


def decode_text(data: bytes, windows: bool = True) -> str:
    """Text of a file a user wrote: UTF-8 (with or without BOM), else, when `windows`, Windows-1252 (what
    Excel writes). Neither raises UnicodeError naming the line of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = exc.start
    if windows:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            bad = exc.start
    line = data[:bad].count(b"\n") + 1
    what = "neither UTF-8 nor Windows-1252 text" if windows else "not UTF-8"
    fix = "" if windows else "; save the file as UTF-8"
    raise UnicodeError(f"line {line}: {what} (byte 0x{data[bad]:02x}){fix}")


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
        os.fchmod(fd, 0o666 & ~_umask)
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


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write bytes so that `path` holds either the old or the new content."""
    _atomic(path, lambda handle: handle.write(data))


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
