"""Ingest: find the recordings to process and give each a stable call id."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from callscope.errors import CallscopeError


@dataclass(frozen=True)
class InputFile:
    """A recording to process; `call_id` names its output files."""

    path: Path
    call_id: str


def _candidates(root: Path, extensions: set[str]) -> list[Path]:
    found = (
        p for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in extensions
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    return sorted(found)


def _base_id(path: Path, root: Path | None) -> str:
    relative = path.relative_to(root) if root else Path(path.name)
    return "__".join(relative.with_suffix("").parts)


def discover(inputs: list[Path], extensions: list[str]) -> list[InputFile]:
    """Files named directly, plus audio files (by extension) found under folders.

    A call id is the path below the folder given, without extension, with
    folder separators written as `__`; clashes get the extension appended.
    """
    wanted = {e.lower() for e in extensions}
    pairs: list[tuple[Path, Path | None]] = []
    for item in inputs:
        if item.is_dir():
            pairs.extend((p, item) for p in _candidates(item, wanted))
        elif item.is_file():
            pairs.append((item, None))
        else:
            raise CallscopeError(f"{item}: no such file or folder")
    seen: dict[Path, None] = {}
    files: list[InputFile] = []
    used: set[str] = set()
    for path, root in pairs:
        resolved = path.resolve()
        if resolved in seen:
            continue
        seen[resolved] = None
        call_id = _base_id(path, root)
        if call_id in used:
            call_id = f"{call_id}-{path.suffix.lstrip('.').lower()}"
        suffix = 2
        while call_id in used:
            call_id, suffix = f"{_base_id(path, root)}-{suffix}", suffix + 1
        used.add(call_id)
        files.append(InputFile(path=path, call_id=call_id))
    return files
