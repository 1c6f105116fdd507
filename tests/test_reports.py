"""HTML reports from a generated store: content, filters, redaction, escaping, and a real headless browser."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from callscope.cli import app
from callscope.config import Settings
from callscope.corpus import update_corpus
from callscope.errors import OutputError
from callscope.metadata import CallMetadata
from callscope.pii.call_ids import private_customer_id
from callscope.reports import Filters, build_reports
from callscope.reports.browser import check_pages, chromium
from callscope.reports.render import call_file
from callscope.store import Store
from tests.fixtures.synthetic_corpus import END_DATE, build_store, generate_conversations

pytestmark = pytest.mark.slow     # loads text models (embedders, heads) or builds a large corpus

OUTPUT = Path(__file__).resolve().parent / "output" / "reports"  # screenshots, kept after the run (gitignored)
HOSTILE = "<script>window.__callscope_injected = 1</script><img src=x onerror=\"window.__callscope_injected = 2\"> <b>bold?</b>"
HOSTILE_ID = "evil<script>call"
CARD = "4556 7375 8689 9855"


def _add_special_calls(store: Store) -> None:
    """A call whose text, id and metadata are HTML, and a call stored without redaction."""
    hostile, plain = (c.conversation for c in generate_conversations(2, seed=11, end_date=END_DATE))
    hostile.id = HOSTILE_ID
    customer = next(i for i, u in enumerate(hostile.utterances) if u.role == "customer")
    hostile.utterances[customer].text = HOSTILE
    hostile.analysis.signals = [hostile.analysis.signals[0].model_copy(update={
        "text": HOSTILE, "utterance": customer, "start": hostile.utterances[customer].start})] \
        if hostile.analysis.signals else []
    store.upsert(hostile, CallMetadata(call_time=hostile_time(), agent="<b>Eve</b>", team="North",
                                       customer_id="<i>C1</i>", queue="orders"), "test")
    plain.id = "unredacted-call"
    plain.processing.redacted = False
    plain.utterances[1].text = f"Sure, the card is {CARD}, thanks."
    plain.analysis.reason.stated_by = "agent"
    plain.warnings = ["one voice heard: parties told apart by what each sentence says"]
    store.upsert(plain, CallMetadata(call_time=hostile_time(), agent="Emma-N0", team="North"), "test")


def hostile_time() -> datetime:
    return datetime.combine(END_DATE - timedelta(days=2), time(10))


def _add_topics(store: Store) -> None:
    """Topic rows as the topics stage writes them (the model itself is tested in test_topics)."""
    store.insert("topics", [
        {"topic_id": 0, "label": "parcel late delivery", "keywords": "parcel, late, delivery, tracking",
         "representative": "where is my parcel, it was due on Monday", "size": 0, "first_seen_run": "synthetic-0"},
        {"topic_id": 1, "label": "charged twice <b>bill</b>", "keywords": "charged, twice, bill",
         "representative": "you've charged me twice", "size": 0, "first_seen_run": "synthetic-0"}])
    store.con.execute("UPDATE conversations SET topic_id = CASE reason WHEN 'parcel_late' THEN 0 "
                      "WHEN 'billing_error' THEN 1 ELSE -1 END")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = build_store(tmp_path_factory.mktemp("store") / "callscope.duckdb", n=800, seed=0,
                       surge_reason="parcel_late", surge_factor=6.0)
    with Store(path) as opened:
        _add_special_calls(opened)
        _add_topics(opened)
        update_corpus(opened, Settings())
    return path


@pytest.fixture(scope="module")
def report(store, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    build_reports(store, out, Settings())
    return out


def page_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_every_page_and_call_page_is_written(report, store):
    from callscope.store import connect
    with connect(store) as con:
        ids = [r[0] for r in con.execute("SELECT call_id FROM conversations").fetchall()]
    for name in ("index", "listen", "empower", "engage"):
        html = page_text(report / f"{name}.html")
        assert html.startswith("<!DOCTYPE html>") and "<style>" in html
        assert not re.search(r"(src|href)=\"(https?:)?//", html)          # nothing fetched from anywhere
    assert sorted(p.name for p in (report / "calls").iterdir()) == sorted(call_file(i) for i in ids)
    assert "<" not in call_file(HOSTILE_ID)


def test_the_call_page_says_how_its_reason_and_roles_were_found(report):
    plain = page_text(report / "calls" / call_file("unredacted-call"))
    assert "from the agent's words" in plain
    assert "<li>one voice heard: parties told apart by what each sentence says</li>" in plain
    hostile = page_text(report / "calls" / call_file(HOSTILE_ID))
    assert "from the agent" not in hostile and "one voice heard" not in hostile


def test_listen_shows_costs_coverage_topics_and_the_surge(report, store):
    from callscope.store import connect
    with connect(store) as con:
        total, avoidable, surveyed = con.execute(
            "SELECT count(*), count(*) FILTER (family = 'avoidable'), (SELECT count(*) FROM surveys) "
            "FROM conversations").fetchone()
    html = page_text(report / "listen.html")
    assert f"{avoidable * Settings().reports.cost_per_contact:,.0f} EUR" in html
    assert f"{surveyed / total * 100:.1f}%" in html and f"{avoidable / total * 100:.0f}%" in html
    assert "parcel late delivery" in html and "charged twice &lt;b&gt;bill&lt;/b&gt;" in html
    emerging = html[html.index('id="emerging"'):html.index('id="topics"')]
    assert "Parcel late" in emerging
    assert "Courier depot outage" in emerging                    # the event just before the surge


def test_empower_compares_agents_with_their_team_median(report):
    html = page_text(report / "empower.html")
    assert html.count("team median") >= 4 and "Best recoveries" in html and "Long silences" in html
    assert re.search(r"[+-]\d+ pts", html) and re.search(r"[+-]\d+%", html)
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html and "<b>Eve</b>" not in html


def test_engage_lists_risks_openings_and_proactive_actions(report):
    html = page_text(report / "engage.html")
    assert "churn intent" in html and "purchase intent" in html
    assert "send delivery tracking and delay alerts by SMS or email" in html   # taxonomy proactive_action
    assert "actions.csv" in html and (report / "actions.csv").exists()


def test_filters_select_calls_and_remove_stale_call_pages(store, report, tmp_path):
    from callscope.store import connect
    since = END_DATE - timedelta(days=20)
    with connect(store) as con:
        ids = {r[0] for r in con.execute("SELECT call_id FROM conversations WHERE team = 'North' AND call_date >= ?",
                                         [since]).fetchall()}
    build_reports(store, tmp_path, Settings())
    build_reports(store, tmp_path, Settings(), Filters(date_from=since, team="North"))
    assert {p.name for p in (tmp_path / "calls").iterdir()} == {call_file(i) for i in ids}
    index = page_text(tmp_path / "index.html")
    assert index.count('<tr><td><a href="calls/') == len(ids) and "team North" in index
    build_reports(store, tmp_path, Settings(), Filters(team="nobody"))
    assert not list((tmp_path / "calls").iterdir())
    assert "No conversations match" in page_text(tmp_path / "listen.html")


def test_text_stored_unredacted_is_redacted_unless_keep_pii(store, tmp_path):
    north = Filters(team="North")
    build_reports(store, tmp_path / "default", Settings(), north)
    build_reports(store, tmp_path / "kept", Settings(), north, keep_pii=True)
    redacted = page_text(tmp_path / "default" / "calls" / call_file("unredacted-call"))
    assert "[CARD]" in redacted and "4556" not in redacted
    assert not any("4556 7375" in p.read_text(encoding="utf-8", errors="ignore")
                   for p in (tmp_path / "default").rglob("*") if p.is_file())
    kept = page_text(tmp_path / "kept" / "calls" / call_file("unredacted-call"))
    assert CARD in kept and "personal data" in kept


def test_cli_report_json_and_bad_arguments(store, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["report", "--out", str(tmp_path), "--db", str(store), "--queue", "orders", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["call_pages"] > 0 and len(summary["pages"]) == 4
    assert summary["actions"] == len(Path(summary["actions_csv"]).read_text(encoding="utf-8").splitlines()) - 1
    bad = runner.invoke(app, ["report", "--out", str(tmp_path), "--db", str(store), "--from", "2026-13-01"])
    assert bad.exit_code == 2
    missing = runner.invoke(app, ["report", "--out", str(tmp_path / "nothing")])
    assert missing.exit_code == 2
    assert [line for line in missing.stderr.splitlines() if line.strip()] == [
        f"error: {tmp_path / 'nothing' / 'callscope.duckdb'}: no callscope store found (run `callscope run` first)"]


def test_a_store_being_written_is_a_clear_error(store, tmp_path):
    writer = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('locked', flush=True); time.sleep(60)", str(store)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "locked"
        with pytest.raises(OutputError, match=r"callscope.duckdb: another process is using it"):
            build_reports(store, tmp_path, Settings())
    finally:
        writer.kill()
        writer.wait()


@pytest.mark.skipif(chromium() is None, reason="chromium not installed (Debian: apt-get install chromium)")
def test_pages_render_in_a_real_browser_without_requests_or_errors(report):
    pages = [report / f"{name}.html" for name in ("index", "listen", "empower", "engage")]
    pages += [report / "calls" / call_file(HOSTILE_ID), report / "calls" / call_file("unredacted-call")]
    checks = check_pages(pages, screenshots=OUTPUT, globals_to_read=("__callscope_injected",))
    print(f"\nscreenshots: {OUTPUT}")
    for check in checks:
        assert check.errors == [], (check.path.name, check.errors)
        assert check.requests == [], (check.path.name, check.requests)
        assert check.svg_count > 0, check.path.name
        assert check.screenshot.stat().st_size > 10_000
        assert check.page_globals["__callscope_injected"] is None      # injected markup never ran
    hostile = checks[4]
    assert HOSTILE in hostile.text and "<b>Eve</b>" in hostile.text
    assert private_customer_id("<i>C1</i>") in hostile.text and "<i>C1</i>" not in hostile.text  # ids hashed
    assert "<b>Eve</b>" in checks[0].text                             # the index lists the agent literally


@pytest.mark.skipif(chromium() is None, reason="chromium not installed (Debian: apt-get install chromium)")
def test_index_filter_and_sort_run_under_the_content_security_policy(report):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto((report / "index.html").resolve().as_uri())
            rows = page.locator("#calls tbody tr")
            total = rows.count()
            page.fill("input[data-filter]", "Emma-N0")
            shown = page.locator("#calls tbody tr:not([hidden])")
            assert 0 < shown.count() < total
            assert all("Emma-N0" in text for text in shown.all_inner_texts())
            assert page.inner_text("#calls-shown") == str(shown.count())
            page.fill("input[data-filter]", "")
            page.click("#calls th:nth-child(11)")                      # predicted CSAT, descending
            cells = page.locator("#calls tbody td:nth-child(11)").all_inner_texts()[:50]
            values = [float(v) for v in cells if v != "–"]
            assert values == sorted(values, reverse=True)
        finally:
            browser.close()
