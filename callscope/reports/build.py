"""Build every report of a store: index, listen, empower and engage pages, a page per call and per customer,
the actions."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

import duckdb

from callscope import __version__
from callscope.hooks import print_warning
from callscope.config import Settings
from callscope.files import atomic_write_text, folder_lock, private_files
from callscope.nlp.taxonomy import load_taxonomy
from callscope.reports.actions import ACTIONS_FILE, find_actions, write_csv
from callscope.reports.callpage import call_contexts
from callscope.reports.empower import empower_context
from callscope.reports.engage import engage_context
from callscope.reports.journeypage import journey_contexts
from callscope.reports.listen import listen_context
from callscope.reports.render import call_file, render
from callscope.reports.selection import Filters, open_selection, rows
from callscope.reports.timeline import timeline
from callscope.reports.webhook import DELIVERIES_FILE, DeliverySummary, deliver
from callscope.store import store_error

CALLS_DIR = "calls"
JOURNEYS_DIR = "journeys"
REPORT_BUSY = "another callscope report is writing to this folder"


@dataclass
class ReportSummary:
    """The files `build_reports` wrote into `out`, and how many actions the rules found."""

    out: Path
    pages: list[Path]           # index, listen, empower, engage
    call_pages: list[Path]      # calls/<id>.html
    actions_csv: Path
    actions: int
    journey_pages: list[Path] = field(default_factory=list)    # journeys/<customer>.html

    @property
    def files(self) -> list[Path]:
        """Every file written: the pages, the call and journey pages and actions.csv."""
        return [*self.pages, *self.call_pages, *self.journey_pages, self.actions_csv]


def _meta(con, filters: Filters, keep_pii: bool, root: str = "") -> dict:
    first, last, n = con.execute("SELECT min(call_date), max(call_date), count(*) FROM conversations").fetchone()
    period = f"{first:%d %b %Y} – {last:%d %b %Y}" if first else "no contacts"
    scope = filters.describe() or "all contacts"
    return {"version": __version__, "root": root, "generated": datetime.now().strftime("%Y-%m-%d %H:%M"),
            "scope": f"{scope} · {period}", "calls": n, "keep_pii": keep_pii}


def build_reports(db_path: str | Path, out_dir: str | Path, settings: Settings, filters: Filters = Filters(), *,
                  keep_pii: bool = False, taxonomy: str | Path | None = None,
                  on_call_page: Callable[[int, int], None] | None = None,
                  on_warning: Callable[[str], None] = print_warning) -> ReportSummary:
    """Write index/listen/empower/engage.html, calls/<id>.html, journeys/<customer>.html and actions.csv
    into `out_dir`.

    Reads the store at `db_path` read-only; proactive actions come from `taxonomy` (default:
    the config's `enrich.taxonomy`). Text is redacted unless `keep_pii`; when
    `settings.actions.webhook.url` is set, new actions are POSTed and recorded in
    deliveries.jsonl; a delivery problem never stops the reports, it is one line to
    `on_warning`. `on_call_page(done, total)` reports progress. One report at a time per
    folder (OutputError otherwise); files are private unless `output.group_readable`.
    """
    out = Path(out_dir)
    with private_files(settings.output.group_readable), folder_lock(out, REPORT_BUSY):
        try:
            return _build(db_path, out, settings, filters, keep_pii, taxonomy, on_call_page, on_warning)
        except duckdb.Error as exc:     # a store that fails while being read: damaged, busy or unusable
            raise store_error(Path(db_path), exc) from None


def _build(db_path: str | Path, out: Path, settings: Settings, filters: Filters, keep_pii: bool,
           taxonomy: str | Path | None, on_call_page: Callable[[int, int], None] | None,
           on_warning: Callable[[str], None]) -> ReportSummary:
    con = open_selection(Path(db_path), filters, keep_pii)
    try:
        meta = _meta(con, filters, keep_pii)
        axis = timeline(con)
        actions = find_actions(con, settings.actions.rules)
        actions_csv = write_csv(actions, out / ACTIONS_FILE)
        pages = []
        delivery = _deliver(actions, settings, out, on_warning) if settings.actions.webhook.url else None
        loaded = load_taxonomy(taxonomy or settings.enrich.taxonomy_path())
        contexts = {
            "listen": listen_context(con, settings, axis),
            "empower": empower_context(con, settings),
            "engage": engage_context(con, settings, loaded, actions, delivery),
        }
        calls = rows(con, """SELECT call_id, call_time, coalesce(channel, 'voice') AS channel, queue, agent, team,
                                    reason, family, sentiment, trajectory, predicted_csat, duration
                             FROM conversations ORDER BY call_time DESC, call_id""")
        contexts["index"] = {"calls": calls, "listen": contexts["listen"], "engage": contexts["engage"]}
        for name, context in contexts.items():
            path = out / f"{name}.html"
            atomic_write_text(path, render(f"{name}.html", page=name, meta=meta, **context))
            pages.append(path)
        below = _meta(con, filters, keep_pii, root="../")
        call_pages = _call_pages(con, out / CALLS_DIR, below, on_call_page)
        journey_pages = _journey_pages(con, out / JOURNEYS_DIR, below)
    finally:
        con.close()
    return ReportSummary(out, pages, call_pages, actions_csv, len(actions), journey_pages)


def _deliver(actions, settings: Settings, out: Path, on_warning: Callable[[str], None]) -> DeliverySummary:
    """The webhook delivery of the actions; whatever goes wrong is a warning and a failed count."""
    try:
        summary = deliver(actions, settings.actions.webhook, out / DELIVERIES_FILE)
    except OSError as exc:
        summary = DeliverySummary(failed=len(actions), last_error=f"{out / DELIVERIES_FILE}: {exc.strerror or exc}")
    if summary.warning():
        on_warning(summary.warning())
    return summary


def _call_pages(con, folder: Path, meta: dict, on_call_page: Callable[[int, int], None] | None) -> list[Path]:
    """calls/<id>.html for every selected call."""
    def pages():
        for done, context in enumerate(call_contexts(con), start=1):
            yield call_file(context["call"]["call_id"]), render("call.html", page="call", meta=meta, **context)
            if on_call_page:
                on_call_page(done, meta["calls"])
    return _write_folder(folder, pages())


def _journey_pages(con, folder: Path, meta: dict) -> list[Path]:
    """journeys/<customer>.html for every customer of the selection (hashed ids unless --keep-pii)."""
    return _write_folder(folder, ((call_file(context["customer_id"]), render("journey.html", page="journey",
                                                                              meta=meta, **context))
                                  for context in journey_contexts(con)))


def _write_folder(folder: Path, pages: Iterable[tuple[str, str]]) -> list[Path]:
    """The pages (file name, HTML) as the whole content of `folder`.

    Pages are written into a staging folder that then replaces the folder as a whole: readers
    see the old set or the new one, pages no longer selected disappear, and thousands of pages
    cost no per-file fsync.
    """
    staging, old = folder.with_name(f".{folder.name}.new"), folder.with_name(f".{folder.name}.old")
    for leftover in (staging, old):
        shutil.rmtree(leftover, ignore_errors=True)
    staging.mkdir(parents=True)
    names = []
    for name, html in pages:
        (staging / name).write_text(html, encoding="utf-8")
        names.append(name)
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return [folder / name for name in names]
