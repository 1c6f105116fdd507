"""A damaged store (OUT/callscope.duckdb) moved aside and rebuilt from what the output folder holds.

Every analysed call is also on disk as OUT/<id>.json, the manifest lists them with their runs,
the topic state keeps each call's topic id, and the survey/event CSVs are the user's: the
store is a rebuildable index of those. `recovering` runs a command and, when it fails because
the store file is damaged (DuckDB cannot read it), rebuilds the store once, says so in one line
and runs the command again. `rebuild_store` does it on demand (`callscope store rebuild`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, TypeVar

import duckdb

from callscope.config import Settings
from callscope.conversation import Conversation
from callscope.corpus import load_inputs, update_corpus
from callscope.corpus.topics import restore_topics
from callscope.errors import OutputError, StoreDamaged
from callscope.files import folder_lock, private_files
from callscope.manifest import MANIFEST_NAME, FileRecord, Manifest
from callscope.metadata import CallMetadata, MetadataResolver
from callscope.store import Store, store_error, store_path

REINGEST_BATCH = 200       # calls re-read from their JSON per store transaction
TOPICS_DIR = "topics"      # below the output folder
BUSY = "another callscope command is writing to this folder"

T = TypeVar("T")


@dataclass
class Rebuilt:
    """What a rebuild did: where the old file went, calls re-read, calls whose JSON is unreadable."""

    moved_to: Path | None
    calls: int = 0
    runs: int = 0
    topics_restored: int = 0
    unreadable: list[str] = field(default_factory=list)

    def line(self, reason: str) -> str:
        """One line: `reason`, then what was done."""
        aside = f"moved aside to {self.moved_to.name} and " if self.moved_to else ""
        lost = f"; {len(self.unreadable)} call(s) without a readable JSON left out" if self.unreadable else ""
        return f"{reason}: {aside}rebuilt from manifest.json and {self.calls} call JSON file(s){lost}"


def reingest(store: Store, out_dir: Path, records: Iterable[FileRecord],
             metadata_of: Callable[[str, str, Conversation], CallMetadata]) -> tuple[int, list[FileRecord]]:
    """Add these calls to the store from OUT/<id>.json, by run, REINGEST_BATCH per transaction;
    returns the calls added and the records whose JSON is missing or unreadable."""
    added, unreadable = 0, []
    by_run: dict[str, list[tuple[Conversation, CallMetadata]]] = {}
    for record in records:
        try:
            conversation = Conversation.model_validate_json((out_dir / f"{record.id}.json").read_bytes())
        except (OSError, ValueError):
            unreadable.append(record)
            continue
        batch = by_run.setdefault(record.run_id, [])
        batch.append((conversation, metadata_of(record.id, record.path, conversation)))
        if len(batch) == REINGEST_BATCH:
            added += store.upsert_many(by_run.pop(record.run_id), record.run_id)
    for run_id, batch in by_run.items():
        added += store.upsert_many(batch, run_id)
    return added, unreadable


def move_aside(file: Path) -> Path | None:
    """Rename `file` (and its WAL) to `<name>.damaged-<local time>`; None when there is no file."""
    if not file.exists():
        return None
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    target, n = file.with_name(f"{file.name}.damaged-{stamp}"), 2
    while target.exists():
        target, n = file.with_name(f"{file.name}.damaged-{stamp}-{n}"), n + 1
    file.rename(target)
    wal = file.with_name(f"{file.name}.wal")
    if wal.exists():
        wal.rename(target.with_name(f"{target.name}.wal"))
    return target


def rebuild(out_dir: Path, settings: Settings, warn: Callable[[str], None]) -> Rebuilt:
    """Move the store aside and build it again from the manifest, the calls' JSON, the survey and
    event CSVs and the saved topics. The caller holds the output folder's lock."""
    out_dir = Path(out_dir)
    manifest = Manifest.load(out_dir)
    resolver = MetadataResolver(settings.metadata)
    for warning in resolver.warnings:
        warn(warning)
    result = Rebuilt(move_aside(store_path(out_dir)))
    with Store(out_dir) as store:
        for run in manifest.runs:
            store.record_run(run.run_id, run.started_at, run.finished_at, run.config_hash, run.inputs,
                             run.processed, run.failed)
        result.runs = len(manifest.runs)
        ok = [record for record in manifest.files.values() if record.status == "ok"]
        result.calls, unreadable = reingest(store, out_dir, ok,
                                            lambda call_id, path, conversation: resolver.lenient(
                                                call_id, path, warn, own=CallMetadata.of(conversation)))
        result.unreadable = [record.id for record in unreadable]
        load_inputs(store, settings, warn)
        update_corpus(store, settings)
        result.topics_restored = restore_topics(store.con, out_dir / TOPICS_DIR)
    return result


def rebuild_store(out_dir: Path, settings: Settings, say: Callable[[str], None] = print,
                  reason: str | None = None) -> Rebuilt:
    """`callscope store rebuild --out OUT`: rebuild under the folder's lock, with private file modes,
    and say what was done in one line."""
    out_dir = Path(out_dir)
    if not (out_dir / MANIFEST_NAME).is_file() and not store_path(out_dir).is_file():
        raise OutputError(f"{out_dir}: no manifest.json or store here: not an output folder of `callscope run`")
    with private_files(settings.output.group_readable), folder_lock(out_dir, BUSY):
        result = rebuild(out_dir, settings, say)
    say(result.line(reason or f"{store_path(out_dir)}: rebuild requested"))
    return result


def recovering(file: Path, action: Callable[[], T], rebuild_it: Callable[[str], object]) -> T:
    """`action()`; when it fails because the store `file` is damaged, `rebuild_it(reason)` once and
    `action()` again. Other store failures become their one-line error (busy, unusable)."""
    try:
        return action()
    except StoreDamaged as exc:
        reason = str(exc)
    except duckdb.Error as exc:
        problem = store_error(Path(file), exc)
        if not isinstance(problem, StoreDamaged):
            raise problem from None
        reason = str(problem)
    rebuild_it(reason)
    return action()


def with_store_recovery(out_dir: Path, settings: Settings, action: Callable[[], T],
                        say: Callable[[str], None] = print) -> T:
    """`recovering` for `callscope report` and `export`: the store of `out_dir` is rebuilt (taking the
    folder's lock) when damaged, and the command goes on."""
    return recovering(store_path(out_dir), action, lambda reason: rebuild_store(out_dir, settings, say, reason))
