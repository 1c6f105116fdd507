"""Ingest: find the recordings to process and the call id each would like.

The final ids are given by the manifest (`Manifest.assign_ids`), which keeps an id with
its recording whatever is added, renamed or removed.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

MAX_ID_BYTES = 150            # <id>.<format>, its temporary name and calls/<id>.html stay under 255 bytes
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class InputFile:
    """A recording to process; `call_id` names its output files."""

    path: Path
    call_id: str


@dataclass
class Discovery:
    """What the inputs hold: recordings (with the id each would like), paths that are missing or
    dangling symlinks (each a failed entry, with its reason), and folders that cannot be read."""

    files: list[InputFile] = field(default_factory=list)
    missing: list[tuple[InputFile, str]] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)


def safe_id(text: str) -> str:
    """`text` as a call id: control characters as `_`, no leading dot, at most MAX_ID_BYTES of UTF-8
    (a longer one is cut and ends with a short hash of the whole)."""
    clean = _CONTROL.sub("_", text).lstrip(".") or "call"
    if len(clean.encode("utf-8")) <= MAX_ID_BYTES:
        return clean
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    cut = clean.encode("utf-8")[: MAX_ID_BYTES - 9].decode("utf-8", "ignore")
    return f"{cut}-{digest}"


def wanted_id(path: Path, root: Path | None) -> str:
    """The path below the folder given (or the file name), without extension, folders joined by `__`."""
    relative = path.relative_to(root) if root else Path(path.name)
    return safe_id("__".join(relative.with_suffix("").parts))


def _walk(root: Path, extensions: set[str], found: Discovery) -> list[Path]:
    """Audio files under `root` (hidden parts skipped, linked folders followed once); dangling links and
    unreadable folders are noted."""
    paths: dict[str, Path] = {}      # real path -> the first path found to it (through real folders first)
    visited = set()

    def unreadable(exc: OSError) -> None:
        found.unreadable.append((Path(exc.filename or root), f"cannot read folder ({exc.strerror or exc}); "
                                                              f"its recordings were not processed"))

    for folder, subfolders, names in os.walk(root, onerror=unreadable, followlinks=True):
        visited.add(os.path.realpath(folder))
        subfolders[:] = sorted((d for d in subfolders if not d.startswith(".")
                                and os.path.realpath(os.path.join(folder, d)) not in visited),
                               key=lambda d: (os.path.islink(os.path.join(folder, d)), d))   # real folders first
        for name in names:
            path = Path(folder) / name
            if name.startswith(".") or path.suffix.lower() not in extensions:
                continue
            if path.is_file():
                paths.setdefault(os.path.realpath(path), path)
            elif path.is_symlink():
                found.missing.append((InputFile(path, wanted_id(path, root)), _dangling(path)))
    return sorted(paths.values())


def _dangling(path: Path) -> str:
    return f"{path}: broken symbolic link (to {os.readlink(path)})"


def discover(inputs: list[Path], extensions: list[str]) -> Discovery:
    """Files named directly, plus audio files (by extension) found under folders, each once."""
    wanted = {e.lower() for e in extensions}
    found = Discovery()
    pairs: list[tuple[Path, Path | None]] = []
    for item in inputs:
        if item.is_dir():
            pairs.extend((p, item) for p in _walk(item, wanted, found))
        elif item.is_file():
            pairs.append((item, None))
        elif item.is_symlink():
            found.missing.append((InputFile(item, wanted_id(item, None)), _dangling(item)))
        else:
            found.missing.append((InputFile(item, wanted_id(item, None)), f"{item}: no such file or folder"))
    seen: set[Path] = set()
    for path, root in pairs:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            found.files.append(InputFile(path=path, call_id=wanted_id(path, root)))
    return found
