"""The run manifest (`<out>/manifest.json`): every input, its content hash, status and error.

It is rewritten atomically after each call, so a run killed at any moment
leaves a manifest that matches the output files on disk.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from callscope.errors import CallscopeError
from callscope.files import atomic_write_text

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = "1"

Status = Literal["ok", "failed", "duplicate"]


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


class Manifest(BaseModel):
    """Everything known about an output folder."""

    schema_version: str = MANIFEST_VERSION
    files: dict[str, FileRecord] = Field(default_factory=dict)
    runs: list[RunRecord] = Field(default_factory=list)

    @classmethod
    def load(cls, out_dir: Path) -> "Manifest":
        path = out_dir / MANIFEST_NAME
        if not path.exists():
            return cls()
        try:
            return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))
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

    def owner_of(self, sha256: str, call_id: str) -> str | None:
        """Another call id already processed with this exact content, if any."""
        for record in self.files.values():
            if record.sha256 == sha256 and record.id != call_id and record.status == "ok":
                return record.id
        return None
