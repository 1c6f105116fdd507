"""The run manifest (`<out>/manifest.json`): every input, its call id, content hash, status and error.

It is rewritten atomically after each call, so a run killed at any moment
leaves a manifest that matches the output files on disk. It also keeps call ids
stable: an id once given to a recording stays with it (`assign_ids`).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from callscope.errors import CallscopeError
from callscope.files import atomic_write_text

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = "1"

Status = Literal["ok", "failed", "duplicate"]
# Names of what else lives in an output folder: no call may take them (case ignored).
RESERVED_IDS = frozenset({"manifest", "callscope", "reports", "topics", "export", "actions", "deliveries"})


def now() -> str:
    """UTC time stamp, ISO 8601, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class FileRecord(BaseModel):
    """The latest outcome for one input."""

    id: str
    path: str
    sha256: str
    size_bytes: int
    status: Status
    error: str | None = None
    warnings: list[str] = Field(default_factory=list)
    duration: float = 0.0
    seconds: dict[str, float] = Field(default_factory=dict)  # wall seconds per stage (decode, transcribe, ..., store)
    config_hash: str
    outputs: list[str] = Field(default_factory=list)
    duplicate_of: str | None = None
    run_id: str
    processed_at: str


class RunRecord(BaseModel):
    """One invocation of `callscope run`."""

    run_id: str
    started_at: str
    finished_at: str | None = None
    inputs: int = 0
    processed: int = 0
    skipped: int = 0
    failed: int = 0
    duplicates: int = 0
    exit_code: int | None = None
    config_hash: str | None = None


class Manifest(BaseModel):
    """Everything known about an output folder."""

    model_config = ConfigDict(extra="forbid")

    schema_version: str = MANIFEST_VERSION
    files: dict[str, FileRecord] = Field(default_factory=dict)
    runs: list[RunRecord] = Field(default_factory=list)

    @classmethod
    def load(cls, out_dir: Path) -> "Manifest":
        path = out_dir / MANIFEST_NAME
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CallscopeError(f"{path}: unreadable manifest ({str(exc).splitlines()[0]}); "
                                 f"move it aside to start afresh") from None
        if not isinstance(data, dict) or "files" not in data or "runs" not in data:
            raise CallscopeError(f"{path}: not a callscope manifest (no files and runs); move it aside to start afresh")
        try:
            return cls.model_validate(data)
        except (ValueError, TypeError) as exc:
            raise CallscopeError(f"{path}: unreadable manifest ({str(exc).splitlines()[0]}); move it aside to start afresh") from None

    def save(self, out_dir: Path) -> None:
        atomic_write_text(out_dir / MANIFEST_NAME, self.model_dump_json(indent=2) + "\n")

    def is_current(self, call_id: str, sha256: str, config_hash: str, out_dir: Path) -> bool:
        """True when this input was already processed, unchanged, with the same settings."""
        record = self.files.get(call_id)
        return (
            record is not None
            and record.status == "ok"
            and record.sha256 == sha256
            and record.config_hash == config_hash
            and all((out_dir / name).exists() for name in record.outputs)
        )

    def assign_ids(self, wanted: list[tuple[Path, str, str]]) -> list[str]:
        """Final call ids for (path, wanted id, sha256 or "") inputs, in order.

        A path the manifest knows keeps its id; content the manifest knows under a path that no
        longer exists (a moved or renamed recording) keeps that id; anything else gets the wanted
        id, else `<id>-<extension>`, else `<id>-2`..., never an id the manifest already holds nor
        a reserved name (manifest, callscope, reports...).
        """
        ids: list[str | None] = [None] * len(wanted)
        by_path = {_where(r.path): r.id for r in self.files.values() if not _reserved(r.id)}
        for i, (path, _, _) in enumerate(wanted):
            ids[i] = by_path.get(_where(path))
        taken = {i for i in ids if i}
        moved: dict[str, list[str]] = {}
        for record in sorted(self.files.values(), key=lambda r: r.status != "ok"):
            if record.sha256 and record.id not in taken and not _reserved(record.id) and not Path(record.path).exists():
                moved.setdefault(record.sha256, []).append(record.id)
        for i, (_, _, sha256) in enumerate(wanted):
            if ids[i] is None and moved.get(sha256):
                ids[i] = moved[sha256].pop(0)
                taken.add(ids[i])
        used = set(self.files) | taken
        for i, (path, base, _) in enumerate(wanted):
            if ids[i] is None:
                candidate, n = base, 2
                if candidate in used or _reserved(candidate):
                    candidate = f"{base}-{path.suffix.lstrip('.').lower() or 'audio'}"
                while candidate in used or _reserved(candidate):
                    candidate, n = f"{base}-{n}", n + 1
                ids[i] = candidate
                used.add(candidate)
        return ids

    def owner_of(self, sha256: str, call_id: str) -> str | None:
        """Another call id already processed with this exact content, if any."""
        for record in self.files.values():
            if record.sha256 == sha256 and record.id != call_id and record.status == "ok":
                return record.id
        return None


def _where(path: str | Path) -> str:
    return os.path.abspath(path)


def _reserved(call_id: str) -> bool:
    return call_id.lower() in RESERVED_IDS
