"""callscope as a library: analyse one call, run a batch into an output folder, build its reports,
open its store (docs/api.md). The CLI is a thin layer over these calls.

Heavy modules (speech and text models) are imported on first use, so `import callscope` stays quick.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from callscope import hooks
from callscope.channels.detect import text_kind
from callscope.channels.read import read_text_input
from callscope.channels.thread import Message, Thread
from callscope.config import Settings, load_settings
from callscope.conversation import Conversation
from callscope.errors import CallscopeError, InputError

if TYPE_CHECKING:
    from callscope.batch import RunSummary
    from callscope.reports import Filters, ReportSummary
    from callscope.store import Store

REPORTS_DIR = "reports"     # below the output folder


def analyse(path_or_text: str | Path, settings: Settings | None = None) -> Conversation:
    """One conversation analysed into a `Conversation` (transcript, speakers, roles, sentiment, reason,
    signals, metrics), redacted unless `settings.output.redact` is off. Nothing is written.

    `path_or_text` is the path of a recording, or of a text input holding one conversation (a chat
    export, conversation JSON, an e-mail thread, one survey response: docs/inputs.md), or the text of
    one customer message itself (a string with a space or a line break that names no file: channel
    `chat`). The models are loaded on the first call and kept for the next ones with the same settings
    (pipeline/loaded.py; `run_batch` shares them). Raises InputError for a missing, undecodable or
    unreadable input, or a text input that holds no or several conversations; ModelError when a model
    cannot be loaded.
    """
    settings = settings or load_settings()
    path = Path(path_or_text)
    if isinstance(path_or_text, str) and not path.is_file() and any(c.isspace() for c in path_or_text):
        return _analysed(Thread(Path("text"), "text", "chat", (Message("customer", path_or_text),)), "text",
                         "text", settings)
    if not path.is_file():
        raise InputError(f"{path}: no such file (analyse takes the path of a recording or text input, "
                         f"or the text of a message)")
    from callscope.pipeline.ingest import InputFile

    kind = text_kind(path, settings.channels)
    if kind is None:
        from callscope.files import sha256_file
        from callscope.pipeline.loaded import processor_for

        return processor_for(settings).process(InputFile(path, path.stem), sha256_file(path))
    reading = read_text_input(path, settings.channels)
    if reading.problems:
        raise InputError(str(reading.problems[0]))
    if len(reading.threads) != 1:
        raise InputError(f"{path}: holds {len(reading.threads)} conversations; analyse takes one "
                         f"(run_batch analyses them all)")
    from callscope.pipeline.text import thread_item

    thread = reading.threads[0]
    return _analysed(thread, thread_item(InputFile(path, path.stem), thread).call_id, kind, settings)


def _analysed(thread: Thread, call_id: str, kind: str, settings: Settings) -> Conversation:
    """One text conversation analysed, with id `call_id` (as `run_batch` would name it)."""
    from callscope.pipeline.loaded import text_processor_for
    from callscope.pipeline.text import TextUnit

    return text_processor_for(settings).process_many([TextUnit(call_id, thread, kind)])[0]


def run_batch(inputs: str | Path | Iterable[str | Path], out: str | Path, settings: Settings | None = None,
              hook: hooks.Hook | None = None, *, reports: bool = True) -> RunSummary:
    """Analyse every recording in `inputs` (files and folders, searched recursively) into the output
    folder `out`: per-call files, manifest.json, the store, corpus figures and, with `reports`, the
    HTML reports in OUT/reports. Unchanged calls are skipped; a bad file is recorded as failed and
    the batch goes on. `hook` receives progress and messages (callscope/hooks.py). Calls run on
    `settings.run.jobs` threads (0, the default: one per core), or on a Dask cluster when
    `settings.run.cluster` is set (docs/cluster.md).

    A report failure does not raise: it is in `summary.report_error` (and `exit_code` is 1).
    """
    from callscope.preflight import preflight

    settings = settings or load_settings()
    preflight(settings)          # bad settings or model names fail here, before the model code is imported
    from callscope.batch import BatchRunner

    paths = [Path(inputs)] if isinstance(inputs, (str, Path)) else [Path(p) for p in inputs]
    summary = BatchRunner(settings, Path(out), hook).run(paths)
    if reports:
        try:
            summary.reports = build_reports(out, settings=settings, hook=hook)  # redacted even after --keep-pii
        except CallscopeError as exc:
            summary.report_error = str(exc)
    return summary


def build_reports(out: str | Path, to: str | Path | None = None, settings: Settings | None = None,
                  filters: Filters | None = None, *, keep_pii: bool = False, taxonomy: str | Path | None = None,
                  db: str | Path | None = None, hook: hooks.Hook | None = None) -> ReportSummary:
    """The HTML reports and actions.csv of the output folder `out` (its store, or the store file `db`),
    written into `to` (default OUT/reports); a damaged store of `out` is rebuilt from the calls' JSON
    first (said through `hook`). `filters` selects calls by date, queue, team and channel; text
    stored unredacted, and customer ids, are shown only with `keep_pii` (ids are hashed otherwise);
    proactive actions come from `taxonomy`
    (default: the settings' `enrich.taxonomy`).
    """
    from callscope.recovery import with_store_recovery
    from callscope.reports import Filters, build_reports as write_reports
    from callscope.store import store_path

    say = (lambda line: hook(hooks.WARNING, line)) if hook else hooks.print_warning  # noqa: E731
    progress = hook or hooks.silent
    settings = settings or load_settings()
    target = Path(to) if to is not None else Path(out) / REPORTS_DIR
    build = lambda: write_reports(db or store_path(out), target, settings, filters or Filters(),  # noqa: E731
                                  keep_pii=keep_pii, taxonomy=taxonomy, on_warning=say,
                                  on_call_page=lambda done, total: progress(hooks.REPORTS, None, total=total,
                                                                            completed=done))
    return build() if db else with_store_recovery(Path(out), settings, build, say)


def open_store(out: str | Path, read_only: bool = True) -> Store:
    """The store of the output folder `out` (or a .duckdb file): a context manager whose `con` is a
    DuckDB connection (tables in docs/store.md). Read-only by default; raises CallscopeError when
    there is no store yet or a run is writing to it."""
    from callscope.store import Store

    return Store(out, read_only=read_only)
