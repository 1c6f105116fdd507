"""The batch runner behind `callscope run`: plan, transcribe, write, store, record.

Each input is hashed; unchanged inputs already processed with the same
settings are skipped, copies of an already processed recording are recorded
as duplicates, and everything else is transcribed by one shared model. Every
output file and the manifest are written atomically, so a run killed at any
moment and started again ends with the same outputs and no duplicates.

The store (OUT/callscope.duckdb) mirrors the manifest's `ok` calls: a call is
upserted (one transaction) after its files are written and before the manifest
records it, so a killed run's call is simply processed again. At the start of
each run, calls the manifest holds but the store lacks (a deleted or older
store) are re-ingested from their JSON, and calls no longer `ok` are removed.
"""

from __future__ import annotations

import fcntl
import os
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Callable

from callscope import hooks
from callscope.config import Settings
from callscope.conversation import Conversation
from callscope.corpus import CorpusSummary, load_inputs, update_corpus
from callscope.errors import EXIT_OK, EXIT_SOME_FAILED, CallscopeError, InputError
from callscope.files import sha256_file
from callscope.manifest import FileRecord, Manifest, RunRecord, now
from callscope.metadata import CallMetadata, MetadataResolver
from callscope.pipeline.audio import probe_duration
from callscope.pipeline.ingest import InputFile, discover
from callscope.pipeline.loaded import processor_for
from callscope.pipeline.process import CallProcessor
from callscope.reports import ReportSummary
from callscope.store import Store
from callscope.writers import write_outputs

REINGEST_BATCH = 200   # calls re-read from their JSON per store transaction


@dataclass
class Planned:
    """An input with its content hash and header duration."""

    item: InputFile
    sha256: str
    size_bytes: int
    duration: float


@dataclass
class RunSummary:
    """What a run did (`failures`: call id and error); `exit_code` follows the documented convention."""

    run_id: str
    out: Path
    processed: int = 0
    skipped: int = 0
    duplicates: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0
    reingested: int = 0
    corpus: CorpusSummary | None = None
    reports: ReportSummary | None = None    # set by callscope.run_batch
    report_error: str | None = None         # why the reports were not written

    @property
    def speed(self) -> float:
        """Audio seconds processed per wall-clock second."""
        return self.audio_seconds / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def exit_code(self) -> int:
        return EXIT_SOME_FAILED if self.failures or self.report_error else EXIT_OK


@contextmanager
def output_lock(out_dir: Path):
    """Only one run may write to an output folder at a time."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / ".callscope.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CallscopeError(f"{out_dir}: another callscope run is writing to this folder") from None
        for leftover in out_dir.glob(".*.tmp"):  # from a run that was killed mid-write
            leftover.unlink()
        yield


def _record(planned: Planned, run_id: str, config_hash: str, **fields) -> FileRecord:
    return FileRecord(id=planned.item.call_id, path=str(planned.item.path), sha256=planned.sha256,
                      size_bytes=planned.size_bytes, run_id=run_id, config_hash=config_hash,
                      processed_at=now(), **fields)


class BatchRunner:
    """Runs the pipeline over many recordings into one output folder, reporting to `hook` (hooks.py).

    `processor()` gives the loaded models, called only when some call needs processing (default:
    the models kept loaded for these settings, pipeline/loaded.py)."""

    def __init__(self, settings: Settings, out_dir: Path, hook: hooks.Hook | None = None,
                 processor: Callable[[], CallProcessor] | None = None):
        self.settings = settings
        self.out_dir = Path(out_dir)
        self.hook = hook or hooks.silent
        self.processor = processor or (lambda: processor_for(settings))
        self.config_hash = settings.fingerprint()
        self.metadata = MetadataResolver(settings.metadata)

    def run(self, inputs: list[Path]) -> RunSummary:
        files = discover(inputs, self.settings.audio.extensions)
        if not files:
            raise CallscopeError(f"no audio files found in {', '.join(map(str, inputs))}")
        with output_lock(self.out_dir), Store(self.out_dir) as self.store:
            load_inputs(self.store, self.settings)
            manifest = Manifest.load(self.out_dir)
            run = RunRecord(run_id=f"{now().replace(':', '')}-{os.getpid()}", started_at=now(), inputs=len(files))
            manifest.runs.append(run)
            self.store.record_run(run.run_id, run.started_at, config_hash=self.config_hash, inputs=len(files))
            summary = RunSummary(run_id=run.run_id, out=self.out_dir)
            try:
                todo, current = self._plan(files, manifest, run.run_id, summary)
                todo += self._sync_store(manifest, todo, current, summary)
                manifest.save(self.out_dir)
                if todo:
                    self._process(todo, manifest, run.run_id, summary)
                self.hook(hooks.CORPUS, None, total=1, completed=0)
                summary.corpus = update_corpus(self.store, self.settings, self.out_dir / "topics")
                self.hook(hooks.CORPUS, summary.corpus, total=1, completed=1)
            finally:
                run.finished_at = now()
                run.processed, run.skipped = summary.processed, summary.skipped
                run.failed, run.duplicates = len(summary.failures), summary.duplicates
                run.exit_code = summary.exit_code
                manifest.save(self.out_dir)
                self.store.record_run(run.run_id, run.started_at, run.finished_at, self.config_hash,
                                      len(files), summary.processed, len(summary.failures))
        return summary

    def _plan(self, files: list[InputFile], manifest: Manifest, run_id: str,
              summary: RunSummary) -> tuple[list[Planned], dict[str, Planned]]:
        """Hash inputs; record unreadable ones and duplicates; return what needs processing, and the skipped."""
        todo: list[Planned] = []
        current: dict[str, Planned] = {}
        first_of: dict[str, str] = {}
        for done, item in enumerate(files, start=1):
            self.hook(hooks.CHECKING, item.path, total=len(files), completed=done)
            try:
                planned = Planned(item, sha256_file(item.path), item.path.stat().st_size, probe_duration(item.path))
            except OSError as exc:
                self._fail(manifest, Planned(item, "", 0, 0.0), run_id, summary,
                           f"{item.path}: cannot read ({exc.strerror or exc})")
                continue
            owner = first_of.get(planned.sha256) or manifest.owner_of(planned.sha256, item.call_id)
            if manifest.is_current(item.call_id, planned.sha256, self.config_hash, self.out_dir):
                summary.skipped += 1
                current[item.call_id] = planned
            elif owner:
                summary.duplicates += 1
                manifest.files[item.call_id] = _record(planned, run_id, self.config_hash,
                                                       status="duplicate", duplicate_of=owner)
            else:
                todo.append(planned)
            first_of.setdefault(planned.sha256, item.call_id)
        return todo, current

    def _call_metadata(self, call_id: str, path: str | Path) -> CallMetadata:
        try:
            return self.metadata.resolve(call_id, path)
        except InputError as exc:
            self.hook(hooks.WARNING, f"{exc}; file name ignored for metadata")
            return self.metadata.resolve(call_id, path, patterns=False)

    def _sync_store(self, manifest: Manifest, todo: list[Planned], current: dict[str, Planned],
                    summary: RunSummary) -> list[Planned]:
        """Make the store hold exactly the manifest's `ok` calls; returns skipped calls to process again.

        A call the manifest holds but the store lacks is re-ingested from its JSON (or, when
        that is gone and the recording is among the inputs, processed again); stored calls
        that are no longer `ok` are removed; stored metadata is refreshed from the sidecar
        and file names (values they no longer give are kept).
        """
        ok = {call_id: r for call_id, r in manifest.files.items() if r.status == "ok"}
        pending = {p.item.call_id for p in todo}
        stored = self.store.stored_calls()
        self.store.delete(call_id for call_id in stored if call_id not in ok)
        again: list[Planned] = []
        by_run: dict[str, list[tuple[Conversation, CallMetadata]]] = {}
        for call_id, record in ok.items():
            if call_id in pending or stored.get(call_id) == record.sha256:
                continue
            try:
                conversation = Conversation.model_validate_json((self.out_dir / f"{call_id}.json").read_bytes())
            except (OSError, ValueError):
                if call_id in current:
                    again.append(current[call_id])
                    summary.skipped -= 1
                else:
                    self.hook(hooks.WARNING, f"{record.path}: not in the store and no readable {call_id}.json "
                                             "to add it from; process it again to add it")
                continue
            batch = by_run.setdefault(record.run_id, [])
            batch.append((conversation, self._call_metadata(call_id, record.path)))
            if len(batch) == REINGEST_BATCH:
                summary.reingested += self.store.upsert_many(by_run.pop(record.run_id), record.run_id)
        for run_id, batch in by_run.items():
            summary.reingested += self.store.upsert_many(batch, run_id)
        if summary.reingested:
            self.hook(hooks.INFO, f"{summary.reingested} call(s) added to the store from their JSON")
        self._refresh_metadata({call_id: record.path for call_id, record in ok.items()
                                if call_id in stored and call_id not in pending})
        return again

    def _refresh_metadata(self, paths: dict[str, str]) -> None:
        """Stored calls get what the sidecar and file names say now (values no longer given are kept)."""
        explicit = {}
        for call_id, path in paths.items():
            try:
                explicit[call_id] = self.metadata.explicit(call_id, path)
            except InputError:
                explicit[call_id] = self.metadata.explicit(call_id, path, patterns=False)
        self.store.update_metadata(explicit)

    def _fail(self, manifest: Manifest, planned: Planned, run_id: str, summary: RunSummary, error: str) -> None:
        summary.failures.append((planned.item.call_id, error))
        self.store.delete([planned.item.call_id])
        manifest.files[planned.item.call_id] = _record(planned, run_id, self.config_hash, status="failed", error=error)
        self.hook(hooks.FAILED, error)

    def _work(self, processor: CallProcessor, planned: Planned):
        conversation = processor.process(planned.item, planned.sha256)
        outputs = write_outputs(conversation, self.out_dir, self.settings.output)
        return conversation, outputs

    def _process(self, todo: list[Planned], manifest: Manifest, run_id: str, summary: RunSummary) -> None:
        jobs = self.settings.run.jobs
        processor = self.processor()
        started = perf_counter()
        total, completed = sum(max(p.duration, 0.1) for p in todo), 0.0
        self.hook(hooks.TRANSCRIBING, hooks.BatchProgress(0, len(todo), 0.0, 0.0), total=total, completed=0.0)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures: dict[Future, Planned] = {pool.submit(self._work, processor, p): p for p in todo}
            try:
                for done, future in enumerate(as_completed(futures), start=1):
                    planned = futures[future]
                    self._finish(future, planned, manifest, run_id, summary)
                    manifest.save(self.out_dir)
                    summary.wall_seconds = perf_counter() - started
                    completed += max(planned.duration, 0.1)
                    self.hook(hooks.TRANSCRIBING, hooks.BatchProgress(done, len(todo), summary.audio_seconds,
                                                                      summary.wall_seconds),
                              total=total, completed=completed)
            except KeyboardInterrupt:
                pool.shutdown(wait=False, cancel_futures=True)
                raise

    def _finish(self, future: Future, planned: Planned, manifest: Manifest, run_id: str, summary: RunSummary) -> None:
        try:
            conversation, outputs = future.result()
        except InputError as exc:
            self._fail(manifest, planned, run_id, summary, str(exc))
            return
        except Exception as exc:  # a bug must not end the batch; it is recorded per file
            self._fail(manifest, planned, run_id, summary,
                       f"{planned.item.path}: internal error ({type(exc).__name__}: {exc})")
            return
        self.store.upsert(conversation, self._call_metadata(planned.item.call_id, planned.item.path), run_id)
        summary.processed += 1
        summary.audio_seconds += conversation.duration
        manifest.files[planned.item.call_id] = _record(
            planned, run_id, self.config_hash, status="ok", warnings=conversation.warnings,
            duration=conversation.duration, outputs=outputs)
        for warning in conversation.warnings:
            self.hook(hooks.WARNING, f"{planned.item.path}: {warning}")
