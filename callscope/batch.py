"""The batch runner behind `callscope run`: plan, transcribe, write, store, record.

Each input is hashed; unchanged inputs already processed with the same
settings are skipped, copies of an already processed recording are recorded
as duplicates, and everything else is processed by an executor (threads sharing one loaded model,
or a Dask cluster's workers: executors/), which returns each Conversation: this process alone writes
the outputs, the manifest and the store. Every
output file and the manifest are written atomically, so a run killed at any
moment and started again ends with the same outputs and no duplicates.

The store (OUT/callscope.duckdb) mirrors the manifest's `ok` calls: a call is
upserted (one transaction) after its files are written and before the manifest
records it, so a killed run's call is simply processed again. At the start of
each run, calls the manifest holds but the store lacks (a deleted or older
store) are re-ingested from their JSON, and calls no longer `ok` are removed. A damaged
store is moved aside and rebuilt (recovery.py) and the run goes on.

Text inputs (chat exports, conversation JSONL, e-mail, surveys: channels/) hold many conversations:
each thread is a unit of its own (`<file>#<key>`, id `<file id>__<key>`, its content hash as sha256),
so a grown export processes only its new or changed threads; the text models run over many threads
at once (pipeline/text.py). What a reader cannot read is a failed entry naming the file and line.

Call ids are stable (Manifest.assign_ids); a missing input, a dangling link or an unreadable
file is a failed entry (a recording analysed before keeps its analysis), an unreadable folder
a failure of the run: the rest of the batch is processed. Files are created private
(0600, folders 0700) unless `output.group_readable`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from time import perf_counter
from typing import Callable

from callscope import hooks
from callscope.channels.detect import TEXT_EXTENSIONS, text_kind
from callscope.channels.email import read_emails
from callscope.channels.read import read_text_input
from callscope.channels.thread import Thread
from callscope.config import Settings
from callscope.conversation import Conversation
from callscope.corpus import CorpusSummary, load_inputs, update_corpus
from callscope.executors import AudioCall, Outcome, executor_for
from callscope.errors import EXIT_OK, EXIT_SOME_FAILED, CallscopeError, ClusterError, InputError, ModelError
from callscope.files import folder_lock, private_files, sha256_file
from callscope.manifest import FileRecord, Manifest, RunRecord, now
from callscope.metadata import CallMetadata, MetadataResolver
from callscope.pii.call_ids import private_call_id
from callscope.pipeline.audio import probe
from callscope.pipeline.bleep import write_redacted_audio
from callscope.pipeline.ingest import Discovery, InputFile, discover
from callscope.pipeline.loaded import processor_for, text_processor_for
from callscope.pipeline.process import CallProcessor
from callscope.pipeline.text import TextProcessor, TextUnit, problem_item, thread_item
from callscope.preflight import preflight
from callscope.recovery import TOPICS_DIR, rebuild, recovering, reingest
from callscope.reports import ReportSummary
from callscope.store import Store, store_path
from callscope.writers import write_outputs

MAIL_KINDS = ("email", "mbox")     # text kinds threaded across files

TEXT_CHUNK = 256        # threads whose messages the text models read at once


@dataclass
class Planned:
    """An input with its content hash and header duration, or why it cannot be read."""

    item: InputFile
    sha256: str = ""
    size_bytes: int = 0
    duration: float = 0.0
    error: str | None = None
    thread: Thread | None = None    # a conversation of a text input, and the input's kind
    kind: str = ""


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


def output_lock(out_dir: Path):
    """Only one run may write to an output folder at a time (OutputError otherwise)."""
    return folder_lock(out_dir, "another callscope run is writing to this folder")


def _record(planned: Planned, run_id: str, config_hash: str, **fields) -> FileRecord:
    return FileRecord(id=planned.item.call_id, path=str(planned.item.path), sha256=planned.sha256,
                      size_bytes=planned.size_bytes, run_id=run_id, config_hash=config_hash,
                      processed_at=now(), **fields)


class BatchRunner:
    """Runs the pipeline over many recordings into one output folder, reporting to `hook` (hooks.py).

    `processor()` gives the loaded models, called only when some call needs processing (default:
    the models kept loaded for these settings with the batch's `run.jobs`, pipeline/loaded.py)."""

    def __init__(self, settings: Settings, out_dir: Path, hook: hooks.Hook | None = None,
                 processor: Callable[[], CallProcessor] | None = None,
                 text_processor: Callable[[], TextProcessor] | None = None):
        self.settings = settings
        self.out_dir = Path(out_dir)
        self.hook = hook or hooks.silent
        self.processor = processor
        self.text_processor = text_processor or (lambda: text_processor_for(settings))
        self.config_hash = settings.fingerprint()
        self.metadata = MetadataResolver(settings.metadata)

    def warn(self, message: str) -> None:
        """One warning line for the user."""
        self.hook(hooks.WARNING, message)

    def run(self, inputs: list[Path]) -> RunSummary:
        """Process `inputs` into the output folder. Settings and model names are checked first
        (before any model loads); every input that cannot be processed is a failed entry."""
        preflight(self.settings)
        found = discover(inputs, [*self.settings.audio.extensions, *TEXT_EXTENSIONS])
        if not found.files:
            problems = [reason for _, reason in found.missing] + [f"{p}: {r}" for p, r in found.unreadable]
            raise CallscopeError(problems[0] if problems else
                                 f"no audio files found in {', '.join(map(str, inputs))} (nor text inputs)")
        for warning in self.metadata.warnings:
            self.warn(warning)
        with private_files(self.settings.output.group_readable), output_lock(self.out_dir):
            return recovering(store_path(self.out_dir), lambda: self._run(found),
                              lambda reason: self.warn(rebuild(self.out_dir, self.settings, self.warn).line(reason)))

    def _run(self, found: Discovery) -> RunSummary:
        n_inputs = len(found.files) + len(found.missing)
        with Store(self.out_dir) as self.store:
            load_inputs(self.store, self.settings, self.warn)
            manifest = Manifest.load(self.out_dir)
            run = RunRecord(run_id=f"{now().replace(':', '')}-{os.getpid()}", started_at=now(), inputs=n_inputs,
                            config_hash=self.config_hash)
            manifest.runs.append(run)
            self.store.record_run(run.run_id, run.started_at, config_hash=self.config_hash, inputs=n_inputs)
            summary = RunSummary(run_id=run.run_id, out=self.out_dir)
            for folder, reason in found.unreadable:
                summary.failures.append((str(folder), f"{folder}: {reason}"))
                self.hook(hooks.FAILED, f"{folder}: {reason}")
            try:
                todo, current = self._plan(found, manifest, run.run_id, summary)
                todo += self._sync_store(manifest, todo, current, summary)
                manifest.save(self.out_dir)
                audio = [p for p in todo if p.thread is None]
                if audio:
                    self._process(audio, manifest, run.run_id, summary)
                if len(audio) < len(todo):
                    self._process_text([p for p in todo if p.thread is not None], manifest, run.run_id, summary)
                self.hook(hooks.CORPUS, None, total=1, completed=0)
                summary.corpus = update_corpus(self.store, self.settings, self.out_dir / TOPICS_DIR)
                self.hook(hooks.CORPUS, summary.corpus, total=1, completed=1)
            finally:
                run.finished_at = now()
                run.processed, run.skipped = summary.processed, summary.skipped
                run.failed, run.duplicates = len(summary.failures), summary.duplicates
                run.exit_code = summary.exit_code
                manifest.save(self.out_dir)
                self.store.record_run(run.run_id, run.started_at, run.finished_at, self.config_hash,
                                      n_inputs, summary.processed, len(summary.failures))
        return summary

    def _hash(self, found: Discovery) -> list[Planned]:
        """Every input with its hash, or its error; call ids made final by the manifest."""
        hashed = [Planned(item, error=reason) for item, reason in found.missing]
        audio = {e.lower() for e in self.settings.audio.extensions}
        not_inputs = self._not_inputs(found, audio)
        mail: dict[InputFile, str] = {}     # e-mails (and their kind) are threaded across all the files of the run
        for done, item in enumerate(found.files, start=1):
            self.hook(hooks.CHECKING, item.path, total=len(found.files), completed=done)
            if item.path in not_inputs:
                continue
            kind = None if item.path.suffix.lower() in audio else text_kind(item.path, self.settings.channels)
            if kind in MAIL_KINDS:
                mail[item] = kind
                continue
            if kind:
                hashed += self._read_text({item: kind})
                continue
            if item.path.suffix.lower() in TEXT_EXTENSIONS:   # found beside the inputs, e.g. a notes CSV
                self.warn(f"{item.path}: not a text input callscope reads; left out")
                continue
            try:
                planned = Planned(item, sha256_file(item.path), item.path.stat().st_size)
            except OSError as exc:
                hashed.append(Planned(item, error=f"{item.path}: cannot read ({exc.strerror or exc})"))
                continue
            try:
                planned.duration = probe(item.path)
            except (InputError, OSError) as exc:     # not audio: fails here, before any model loads
                planned.error = str(exc) if isinstance(exc, InputError) else f"{item.path}: {exc}"
            hashed.append(planned)
        if mail:
            hashed += self._read_text(mail)
        return hashed

    def _not_inputs(self, found: Discovery, audio: set[str]) -> set[Path]:
        """Found files that are no conversation of their own: files the settings name (metadata sidecar,
        surveys and events CSVs), anything in the output folder (its own outputs), and a recording's JSON
        sidecar (`call.json` beside `call.wav`: its transcript or annotations; the call is analysed from its audio)."""
        named = (self.settings.metadata.sidecar, self.settings.corpus.surveys, self.settings.corpus.events)
        settings_files = {Path(name).resolve() for name in named if name}
        out = self.out_dir.resolve()
        recordings = {item.path.with_suffix("") for item in found.files if item.path.suffix.lower() in audio}
        resolved = {item.path: item.path.resolve() for item in found.files}
        skipped = {path for path, real in resolved.items() if real in settings_files or real.is_relative_to(out)}
        sidecars = {item.path for item in found.files
                    if item.path.suffix.lower() == ".json" and item.path.with_suffix("") in recordings}
        if sidecars:
            self.hook(hooks.INFO, f"{len(sidecars)} JSON file(s) beside a recording of the same name left out "
                                  f"(the recording's transcript or annotations), e.g. {min(sidecars)}")
        return skipped | sidecars

    def _read_text(self, kinds: dict[InputFile, str]) -> list[Planned]:
        """One unit per thread of the text inputs `kinds` maps to their kind (e-mails: all of them, threaded
        together; other kinds: one file), its content hash as sha256; one failed unit per problem. A thread
        belongs to the item of its path (an e-mail thread: its earliest file) and has that file's kind."""
        channels, first = self.settings.channels, next(iter(kinds))
        reading = read_emails([i.path for i in kinds], channels) if kinds[first] in MAIL_KINDS \
            else read_text_input(first.path, channels)
        item_of = {i.path: i for i in kinds}
        units = [Planned(thread_item(item_of[t.path], t), t.content_hash(),
                         sum(len(m.text.encode("utf-8")) for m in t.messages), thread=t, kind=kinds[item_of[t.path]])
                 for t in reading.threads]
        return units + [Planned(problem_item(item_of[p.path], p), error=str(p)) for p in reading.problems]

    def _plan(self, found: Discovery, manifest: Manifest, run_id: str,
              summary: RunSummary) -> tuple[list[Planned], dict[str, Planned]]:
        """Hash inputs; record unreadable ones and duplicates; return what needs processing, and the skipped."""
        todo: list[Planned] = []
        current: dict[str, Planned] = {}
        first_of: dict[str, str] = {}
        hashed = self._hash(found)
        wanted = private_call_id if self.settings.output.redact else str   # a caller's number or name in a file name
        ids = manifest.assign_ids([(p.item.path, wanted(p.item.call_id), p.sha256) for p in hashed])
        for planned, call_id in zip(hashed, ids):
            planned.item = item = replace(planned.item, call_id=call_id)
            if planned.error:      # an unreadable file keeps an earlier analysis; a changed one that is not audio does not
                self._fail(manifest, planned, run_id, summary, planned.error, keep_analysis=not planned.sha256)
                continue
            owner = first_of.get(planned.sha256) or manifest.owner_of(planned.sha256, item.call_id)
            if manifest.is_current(item.call_id, planned.sha256, self.config_hash, self.out_dir):
                summary.skipped += 1
                current[item.call_id] = planned
                manifest.files[item.call_id].path = str(item.path)     # a moved recording
            elif owner:
                summary.duplicates += 1
                manifest.files[item.call_id] = _record(planned, run_id, self.config_hash,
                                                       status="duplicate", duplicate_of=owner)
            else:
                todo.append(planned)
            first_of.setdefault(planned.sha256, item.call_id)
        return todo, current

    def _call_metadata(self, call_id: str, path: str | Path, conversation: Conversation | None = None) -> CallMetadata:
        own = CallMetadata.of(conversation) if conversation else CallMetadata()
        return self.metadata.lenient(call_id, path, self.warn, own=own)

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
        missing = [r for call_id, r in ok.items() if call_id not in pending and stored.get(call_id) != r.sha256]
        summary.reingested, unreadable = reingest(self.store, self.out_dir, missing, self._call_metadata)
        for record in unreadable:
            if record.id in current:
                again.append(current[record.id])
                summary.skipped -= 1
            else:
                self.warn(f"{record.path}: not in the store and no readable {record.id}.json to add it from; "
                          f"process it again to add it")
        if summary.reingested:
            self.hook(hooks.INFO, f"{summary.reingested} call(s) added to the store from their JSON")
        self._refresh_metadata({call_id: record.path for call_id, record in ok.items()
                                if call_id in stored and call_id not in pending})
        return again

    def _refresh_metadata(self, paths: dict[str, str]) -> None:
        """Stored calls get what the sidecar and file names say now (values no longer given are kept)."""
        quiet = lambda _: None  # noqa: E731  (said when the call was processed)
        self.store.update_metadata({call_id: self.metadata.lenient(call_id, path, quiet, explicit=True)
                                    for call_id, path in paths.items()})

    def _fail(self, manifest: Manifest, planned: Planned, run_id: str, summary: RunSummary, error: str,
              keep_analysis: bool = False) -> None:
        """Record a failed input. With `keep_analysis` (the file is missing or unreadable, not changed), a
        recording analysed before keeps its record and its calls in the store."""
        call_id = planned.item.call_id
        summary.failures.append((call_id, error))
        self.hook(hooks.FAILED, error)
        previous = manifest.files.get(call_id)
        if keep_analysis and previous is not None and previous.status == "ok":
            return
        self.store.delete([call_id])
        manifest.files[call_id] = _record(planned, run_id, self.config_hash, status="failed", error=error)

    def _process(self, todo: list[Planned], manifest: Manifest, run_id: str, summary: RunSummary) -> None:
        started = perf_counter()
        total, completed = sum(max(p.duration, 0.1) for p in todo), 0.0
        run = self.settings.run.model_copy(update={"jobs": self.settings.run.jobs_for(len(todo))})
        settings = self.settings.model_copy(update={"run": run})
        with executor_for(settings, self.processor or (lambda: processor_for(settings))) as executor:
            self.hook(hooks.TRANSCRIBING, hooks.BatchProgress(0, len(todo), 0.0, 0.0), total=total, completed=0.0)
            # longest first, so that no long call is left running on one core at the end
            for planned in sorted(todo, key=lambda p: -p.duration):
                executor.submit(AudioCall(planned.item, planned.sha256), planned)
            for done, (planned, outcome) in enumerate(executor.results(), start=1):
                self._finish(outcome, planned, manifest, run_id, summary)
                manifest.save(self.out_dir)
                summary.wall_seconds = perf_counter() - started
                completed += max(planned.duration, 0.1)
                self.hook(hooks.TRANSCRIBING, hooks.BatchProgress(done, len(todo), summary.audio_seconds,
                                                                  summary.wall_seconds),
                          total=total, completed=completed)

    def _process_text(self, todo: list[Planned], manifest: Manifest, run_id: str, summary: RunSummary) -> None:
        """Text conversations, TEXT_CHUNK at a time through the text models, then written and stored
        (one store transaction per chunk). A chunk that fails is processed a thread at a time, so a
        thread that cannot be analysed fails alone."""
        processor = self.text_processor()
        started, done, before = perf_counter(), 0, summary.wall_seconds
        for first in range(0, len(todo), TEXT_CHUNK):
            chunk = todo[first:first + TEXT_CHUNK]
            try:
                results = [(p, c) for p, c in zip(chunk, processor.process_many([_unit(p) for p in chunk]))]
            except Exception:  # noqa: BLE001  (found again below, one thread at a time)
                results = [(p, c) for p in chunk for c in self._text_alone(processor, p, manifest, run_id, summary)]
            written = [(p, c, write_outputs(c, self.out_dir, self.settings.output)) for p, c in results]
            self.store.upsert_many([(c, self._call_metadata(p.item.call_id, p.item.path, c)) for p, c, _ in written],
                                   run_id)
            for planned, conversation, outputs in written:
                self._record_ok(planned, conversation, outputs, manifest, run_id, summary)
            manifest.save(self.out_dir)
            done += len(chunk)
            summary.wall_seconds = before + perf_counter() - started
            self.hook(hooks.ANALYSING_TEXT, hooks.BatchProgress(done, len(todo), summary.audio_seconds,
                                                                summary.wall_seconds), total=len(todo), completed=done)

    def _text_alone(self, processor: TextProcessor, planned: Planned, manifest: Manifest, run_id: str,
                    summary: RunSummary) -> list[Conversation]:
        """The conversation of one thread, or none and a failed entry naming its file and line."""
        try:
            return processor.process_many([_unit(planned)])
        except Exception as exc:  # a bad thread must not end the batch; it is recorded per thread
            thread = planned.thread
            where = f"{thread.path}: line {thread.line}" if thread.line is not None else str(planned.item.path)
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self._fail(manifest, planned, run_id, summary, f"{where}: cannot analyse conversation "
                                                           f"{thread.key!r} ({type(exc).__name__}: {reason})")
            return []

    def _finish(self, outcome: Outcome, planned: Planned, manifest: Manifest, run_id: str,
                summary: RunSummary) -> None:
        """Write a processed call's files, store it, record it; or record why it failed. A setup error
        on a worker (models, cluster) stops the batch as it would here."""
        try:
            if isinstance(outcome, Exception):
                raise outcome
            outputs = write_outputs(outcome, self.out_dir, self.settings.output)
            if self.settings.output.redact_audio:
                outputs.append(write_redacted_audio(outcome, self.out_dir))
        except InputError as exc:
            self._fail(manifest, planned, run_id, summary, str(exc))
            return
        except (ModelError, ClusterError):
            raise
        except Exception as exc:  # a bug must not end the batch; it is recorded per file
            self._fail(manifest, planned, run_id, summary,
                       f"{planned.item.path}: internal error ({type(exc).__name__}: {exc})")
            return
        conversation = outcome
        started = perf_counter()
        self.store.upsert(conversation, self._call_metadata(planned.item.call_id, planned.item.path), run_id)
        self._record_ok(planned, conversation, outputs, manifest, run_id, summary,
                        store_seconds=perf_counter() - started)

    def _record_ok(self, planned: Planned, conversation: Conversation, outputs: list[str], manifest: Manifest,
                   run_id: str, summary: RunSummary, store_seconds: float | None = None) -> None:
        """Record a conversation written and stored (with its seconds per stage, and the store's when timed)."""
        seconds = {**conversation.processing.seconds}
        if store_seconds is not None:
            seconds["store"] = round(store_seconds, 3)
        summary.processed += 1
        if conversation.source.layout != "text":
            summary.audio_seconds += conversation.duration
        manifest.files[planned.item.call_id] = _record(
            planned, run_id, self.config_hash, status="ok", warnings=conversation.warnings,
            duration=conversation.duration, seconds=seconds, outputs=outputs)
        for warning in conversation.warnings:
            self.hook(hooks.WARNING, f"{planned.item.path}: {warning}")


def _unit(planned: Planned) -> TextUnit:
    return TextUnit(planned.item.call_id, planned.thread, planned.kind)
