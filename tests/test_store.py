"""The DuckDB store: idempotent upserts, kills, export round-trips, CSV inputs, CSAT and repeats."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from callscope.cli import app
from callscope.config import Settings
from callscope.corpus import load_inputs, update_corpus
from callscope.corpus.repeats import link_repeats, repeat_shares
from callscope.corpus.satisfaction import MIN_SURVEYS, raw_predictions, resolution, satisfaction_report
from callscope.errors import CallscopeError, InputError
from callscope.manifest import Manifest
from callscope.metadata import CallMetadata
from callscope.store import TABLES, Store
from callscope.store.rows import CALL_TABLES
from callscope.store.views import VIEWS
from tests.test_batch import comparable
from tests.fixtures.synthetic_corpus import build_store, generate_conversations, write_surveys

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def calls():
    return generate_conversations(300, seed=7)


def table_rows(store: Store, table: str) -> list[tuple]:
    return store.con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()


def snapshot(store: Store) -> dict[str, list[tuple]]:
    return {table: table_rows(store, table) for table in CALL_TABLES}


def test_upsert_replaces_a_call_and_is_idempotent(tmp_path, calls):
    with Store(tmp_path) as store:
        store.upsert_many(((c.conversation, c.metadata) for c in calls), "r1")
        first = snapshot(store)
        assert store.counts()["conversations"] == len(calls)
        assert len(first["utterances"]) == sum(len(c.conversation.utterances) for c in calls)
        assert len(first["signals"]) == sum(len(c.conversation.analysis.signals) for c in calls)
        store.upsert_many(((c.conversation, c.metadata) for c in calls), "r1")
        for c in calls[:20]:
            store.upsert(c.conversation, c.metadata, "r1")
        assert snapshot(store) == first

        changed = calls[0].conversation.model_copy(deep=True)
        changed.utterances = changed.utterances[:3]
        changed.analysis.signals = []
        store.upsert(changed, calls[0].metadata, "r2")
        mine = store.con.execute("SELECT count(*) FROM utterances WHERE call_id = ?", [changed.id]).fetchall()
        assert mine == [(3,)]
        assert store.con.execute("SELECT count(*) FROM signals WHERE call_id = ?", [changed.id]).fetchall() == [(0,)]
        run = store.con.execute("SELECT run_id FROM conversations WHERE call_id = ?", [changed.id]).fetchall()
        assert run == [("r2",)]
        others = store.con.execute("SELECT count(*) FROM utterances WHERE call_id <> ?", [changed.id]).fetchall()[0][0]
        assert others == len(first["utterances"]) - len(calls[0].conversation.utterances)

        store.delete([changed.id])
        assert all(changed.id not in {row[0] for row in table_rows(store, t)} for t in CALL_TABLES)


def test_who_stated_the_reason_and_warnings_are_stored_and_old_stores_gain_the_columns(tmp_path, calls):
    import duckdb

    old = tmp_path / "old.duckdb"
    Store(old).close()
    with duckdb.connect(str(old)) as con:   # the conversations table as written before reason_stated_by
        con.execute("ALTER TABLE conversations DROP COLUMN reason_stated_by")
        con.execute("ALTER TABLE conversations DROP COLUMN warnings")
        con.execute("INSERT INTO conversations (call_id, reason) VALUES ('c0', 'parcel_late')")
    restated = calls[1].conversation.model_copy(deep=True)
    restated.analysis.reason.stated_by = "agent"
    restated.warnings = ["no speech detected", "one voice heard"]
    with Store(old) as store:
        store.upsert(restated, calls[1].metadata, "r1")
        found = store.con.execute("SELECT call_id, reason_stated_by, warnings FROM conversations "
                                  "ORDER BY call_id = 'c0' DESC").fetchall()
    assert found == [("c0", None, None), (restated.id, "agent", "no speech detected | one voice heard")]


def test_html_and_placeholders_are_stored_verbatim(tmp_path):
    calls = generate_conversations(400, seed=3)
    with Store(tmp_path) as store:
        store.upsert_many(((c.conversation, c.metadata) for c in calls), "r")
        texts = [row[0] for row in store.con.execute("SELECT text FROM utterances").fetchall()]
    assert any("<script>" in t for t in texts) and any("[CARD]" in t for t in texts)
    generated = {u.text for c in calls for u in c.conversation.utterances}
    assert set(texts) == generated


KILLED_WRITER = """
import os, signal, sys
from tests.fixtures.synthetic_corpus import generate_conversations
from callscope.store import Store
calls = generate_conversations(5, seed=1)
store = Store(sys.argv[1])
store.upsert_many(((c.conversation, c.metadata) for c in calls), "first")
store.con.execute("CHECKPOINT")
replacement = [c.conversation.model_copy(update={"utterances": c.conversation.utterances[:1]}) for c in calls]
store.con.execute("BEGIN TRANSACTION")
store._delete_calls([c.id for c in replacement])
store.insert("utterances", [{"call_id": c.id, "idx": 0, "text": "half-written"} for c in replacement])
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.slow
def test_a_writer_killed_mid_transaction_leaves_the_previous_rows(tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(KILLED_WRITER))
    result = subprocess.run([sys.executable, str(script), str(tmp_path)], cwd=ROOT, capture_output=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()
    calls = generate_conversations(5, seed=1)
    with Store(tmp_path) as store:
        texts = [row[0] for row in store.con.execute("SELECT text FROM utterances ORDER BY call_id, idx").fetchall()]
        assert store.counts()["conversations"] == 5
    assert "half-written" not in texts
    assert len(texts) == sum(len(c.conversation.utterances) for c in calls)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_round_trip(tmp_path, fmt):
    path = build_store(tmp_path / "out", n=150, seed=2)
    with Store(path) as store:
        files = store.export(tmp_path / "export", fmt)
        assert sorted(f.name for f in files) == sorted(f"{t}.{fmt}" for t in (*TABLES, *VIEWS))
        for table in TABLES:
            columns = store.con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", [table]).fetchall()
            if fmt == "parquet":
                reader = f"read_parquet('{tmp_path / 'export' / (table + '.parquet')}')"
            else:
                types = ", ".join(f"'{name}': '{kind}'" for name, kind in columns)
                reader = f"read_csv('{tmp_path / 'export' / (table + '.csv')}', header = true, columns = {{{types}}})"
            back = store.con.execute(f"SELECT * FROM {reader} ORDER BY ALL").fetchall()
            assert back == table_rows(store, table), table
        assert store.counts()["conversations"] == 150 and store.counts()["events"] == 3


def test_survey_and_event_csvs_load_and_bad_lines_are_named(tmp_path):
    good = tmp_path / "surveys.csv"
    good.write_text("call_id,csat,nps\na,5,9\nb,,3\nc,2,\n")
    events = tmp_path / "events.csv"
    events.write_text("date,label,kind\n2026-11-18,Courier depot outage,outage\n2026-10-01,Price rise,\n")
    settings = Settings()
    settings.corpus.surveys, settings.corpus.events = str(good), str(events)
    with Store(tmp_path / "out") as store:
        assert load_inputs(store, settings) == {"surveys": 3, "events": 2}
        assert load_inputs(store, settings) == {"surveys": 3, "events": 2}   # reloading replaces, never duplicates
        assert table_rows(store, "surveys") == [("a", 5.0, 9.0), ("b", None, 3.0), ("c", 2.0, None)]
        assert store.counts()["events"] == 2
        cases = {
            "call_id,score\na,3\n": "line 1: expected columns call_id and csat and/or nps; found call_id, score",
            "call_id,csat\na,3\nb,six\n": "line 3: csat 'six' is not a number",
            "call_id,csat\na,3\nb,9\n": "line 3: csat '9' is outside 1..5",
            "call_id,csat,nps\na,,\n": "line 2: neither csat nor nps given",
            "call_id,csat\na,3\nb,4\na,2\n": "line 4: call_id 'a' repeated (first on line 2)",
        }
        for text, expected in cases.items():
            bad = tmp_path / "bad.csv"
            bad.write_text(text)
            with pytest.raises(InputError) as raised:
                store.load_surveys(bad)
            assert str(raised.value) == f"{bad}: {expected}"
        bad.write_text("date,label\n2026-11-01,ok\n01/11/2026,launch\n")
        with pytest.raises(InputError, match=r"bad.csv: line 3: date '01/11/2026' is not YYYY-MM-DD"):
            store.load_events(bad)
        assert store.counts()["events"] == 2 and store.counts()["surveys"] == 3


def test_resolution_cues_and_the_formula():
    assert resolution("Brilliant, that's sorted then, thank you so much.") == 1
    assert resolution("Thanks, but it's still not fixed") == -1
    assert resolution("Parfait, c'est réglé, merci.") == 1
    assert resolution("Okay, bye.") == 0


@pytest.mark.slow
def test_predicted_csat_correlates_with_surveys_and_is_calibrated(tmp_path):
    calls = generate_conversations(800, seed=5)
    for call in calls:      # customers who answer surveys are harsher than the formula's scale
        call.satisfaction = max(1.0, call.satisfaction - 0.8)
    settings = Settings()
    settings.corpus.surveys = str(write_surveys(calls, tmp_path / "surveys.csv", share=0.2, seed=5))
    with Store(tmp_path / "out") as store:
        store.upsert_many(((c.conversation, c.metadata) for c in calls), "r")
        load_inputs(store, settings)
        report = update_corpus(store, settings).satisfaction
        surveyed = store.scalar("SELECT count(*) FROM surveys")
        assert report["analysed"] == 800 and report["surveyed"] == surveyed
        assert report["coverage"] == pytest.approx(surveyed / 800) and 0.12 < report["coverage"] < 0.28
        assert report["pearson"] > 0.5 and report["spearman"] > 0.5 and report["pearson_p"] < 1e-6
        calibration = report["calibration"]
        assert calibration["applied"] and calibration["slope"] > 0
        assert calibration["mae_calibrated_cv"] < calibration["mae_raw"]
        raw = raw_predictions(store).set_index("call_id")["raw"]
        stored = dict(store.con.execute("SELECT call_id, predicted_csat FROM conversations").fetchall())
        expected = np.clip(calibration["intercept"] + calibration["slope"] * raw, 1, 5).round(2)
        assert all(stored[call_id] == pytest.approx(value) for call_id, value in expected.items())
        assert min(stored.values()) >= 1 and max(stored.values()) <= 5
        truth = {c.conversation.id: c.satisfaction for c in calls}
        unsurveyed = [call_id for call_id in stored if call_id not in
                      {row[0] for row in store.con.execute("SELECT call_id FROM surveys").fetchall()}]
        predicted, actual = [stored[i] for i in unsurveyed], [truth[i] for i in unsurveyed]
        assert np.corrcoef(predicted, actual)[0, 1] > 0.5      # it generalises to calls nobody surveyed

        store.con.execute("DELETE FROM surveys WHERE call_id NOT IN (SELECT call_id FROM surveys LIMIT 5)")
        _, few = satisfaction_report(store)
        assert not few["calibration"]["applied"] and f"calibration needs {MIN_SURVEYS}" in few["calibration"]["reason"]


def call_at(template, call_id: str, customer: str | None, when: datetime, reason: str):
    conversation = template.conversation.model_copy(deep=True)
    conversation.id = call_id
    conversation.analysis.reason.reason = reason
    return conversation, CallMetadata(call_time=when, customer_id=customer, channel="voice")


def test_repeat_contacts_within_the_configured_days(tmp_path, calls):
    start = datetime(2026, 11, 1, 9)
    plan = [("a1", "X", 0, "parcel_late"), ("a2", "X", 3, "parcel_late"), ("a3", "X", 20, "billing_error"),
            ("b1", "Y", 1, "billing_error"), ("b2", "Y", 8.5, "billing_error"), ("c1", None, 2, "parcel_late"),
            ("c2", None, 2.5, "parcel_late")]
    items = [call_at(calls[0], cid, who, start + timedelta(days=day), reason) for cid, who, day, reason in plan]
    with Store(tmp_path) as store:
        store.upsert_many(items, "r")
        assert link_repeats(store, 7) == 1
        links = dict(store.con.execute("SELECT call_id, repeat_of FROM conversations").fetchall())
        assert links == {"a1": None, "a2": "a1", "a3": None, "b1": None, "b2": None, "c1": None, "c2": None}
        shares = {row["reason"]: row for row in repeat_shares(store)}
        assert shares["parcel_late"]["calls"] == 4 and shares["parcel_late"]["repeats"] == 1
        assert shares["parcel_late"]["followed_share"] == pytest.approx(0.25)
        assert shares["billing_error"]["fcr"] == 1.0
        assert link_repeats(store, 30) == 3
        links = dict(store.con.execute("SELECT call_id, repeat_of FROM conversations").fetchall())
        assert links["a3"] == "a2" and links["b2"] == "b1"


@pytest.mark.slow
def test_synthetic_corpus_is_seeded_and_surges_where_asked():
    one, two = generate_conversations(300, seed=11), generate_conversations(300, seed=11)
    assert [c.conversation for c in one] == [c.conversation for c in two]
    surge = generate_conversations(2000, seed=0, surge_reason="parcel_late", surge_factor=4.0)
    last_week = max(c.metadata.call_time for c in surge).date() - timedelta(days=6)

    def share(items, recent: bool) -> float:
        chosen = [c for c in items if (c.metadata.call_time.date() >= last_week) == recent]
        return sum(c.reason == "parcel_late" for c in chosen) / len(chosen)

    assert share(surge, True) > 2.5 * share(surge, False)
    dates = sorted(c.metadata.call_time for c in surge)
    assert (dates[-1] - dates[0]).days >= 80
    said_repeat = sum(any(s.kind == "repeat_contact" for s in c.conversation.analysis.signals) for c in surge)
    assert 50 < said_repeat < 400


def test_metadata_refresh_keeps_values_it_is_not_given(tmp_path, calls):
    with Store(tmp_path) as store:
        store.upsert(calls[0].conversation, calls[0].metadata, "r")
        store.update_metadata({calls[0].conversation.id: CallMetadata(queue="vip", customer_id=None)})
        row = store.con.execute("SELECT queue, customer_id, call_time FROM conversations").fetchall()[0]
    assert row == ("vip", calls[0].metadata.customer_id, calls[0].metadata.call_time)


HOLDER = """
import sys, time
from callscope.store import Store
store = Store(sys.argv[1])
print("open", flush=True)
time.sleep(60)
"""


def test_a_missing_store_or_one_held_by_a_writer_is_a_one_line_error(tmp_path):
    with pytest.raises(CallscopeError, match="no store here yet"):
        Store(tmp_path / "nothing", read_only=True)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                              cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(CallscopeError) as raised:
            Store(tmp_path, read_only=True)
        assert "another process is using it" in str(raised.value) and "\n" not in str(raised.value)
    finally:
        holder.kill()
        holder.wait()


# ---------------------------------------------------------------- the store under `callscope run` and SIGKILL

@pytest.fixture(scope="module")
def short_clips(tmp_path_factory) -> Path:
    from tests.test_batch import clip

    folder = tmp_path_factory.mktemp("short_clips")
    for call_id in ("parcel_late", "cancel_threat", "lost_card"):   # stereo: no diarisation, quick
        clip(call_id, folder, seconds=6.0)
    return folder


def run_cli_command(inputs: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "callscope.cli", "run", str(inputs), "--out", str(out), "--model", "tiny.en"]


def run_cli(inputs: Path, out: Path) -> subprocess.Popen:
    """`callscope run` in its own process, to be killed."""
    return subprocess.Popen(run_cli_command(inputs, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT)


def run_here(inputs: Path, out: Path, *options: str):
    """`callscope run` in this process: the models stay loaded from one run to the next."""
    return CliRunner().invoke(app, [*run_cli_command(inputs, out)[3:], *options])


def per_call_counts(out: Path) -> dict[str, int]:
    with Store(out, read_only=True) as store:
        counts = store.counts()
        texts = store.con.execute("SELECT call_id, idx, role, text FROM utterances ORDER BY ALL").fetchall()
    return {**{t: counts[t] for t in CALL_TABLES}, "utterance_texts": hash(tuple(texts))}


@pytest.mark.slow
def test_store_after_sigkill_and_rerun_matches_a_clean_run(tmp_path, short_clips):
    inputs = tmp_path / "in"                      # a copy, so that one recording can be broken in place below
    shutil.copytree(short_clips, inputs)
    clean = tmp_path / "clean"
    finished = run_here(inputs, clean)
    assert finished.exit_code == 0, finished.output
    expected = per_call_counts(clean)
    assert expected["conversations"] == 3 and expected["utterances"] > 0

    out = tmp_path / "killed"
    process = run_cli(inputs, out)
    deadline = time.time() + 300
    while time.time() < deadline and not list(out.glob("*.vtt")):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 0 < len(list(out.glob("*.vtt"))) < 3
    restarted = run_cli(inputs, out)
    _, stderr = restarted.communicate()
    assert restarted.returncode == 0, stderr
    assert comparable(out) == comparable(clean) and not list(out.glob(".*.tmp"))   # every call file as a clean run's
    assert per_call_counts(out) == expected
    with Store(out, read_only=True) as store:
        runs = store.con.execute("SELECT count(*), count(finished_at) FROM runs").fetchall()[0]
        assert runs == (2, 1)                      # the killed run is recorded as never finished
        assert store.scalar("SELECT count(*) FROM conversations WHERE call_time IS NULL") == 0

    (out / "callscope.duckdb").unlink()           # a lost store is rebuilt from the calls' JSON
    again = run_here(inputs, out)
    assert again.exit_code == 0, again.output
    assert "0 processed, 3 unchanged" in again.stderr
    assert per_call_counts(out) == expected
    assert all(r.status == "ok" for r in Manifest.load(out).files.values())

    sidecar = tmp_path / "calls.csv"             # metadata that arrives later updates the store, no reprocessing
    sidecar.write_text("file,date,queue,customer_id\nlost_card.wav,2026-11-20,cards,C42\n")
    config = tmp_path / "my.yaml"
    config.write_text(f"metadata:\n  sidecar: {sidecar}\n  filename_patterns: ['^(?P<queue>[a-z]+)_(?P<agent>[a-z]+)$']\n")
    later = run_here(inputs, out, "--config", str(config))
    assert later.exit_code == 0 and "0 processed, 3 unchanged" in later.stderr, later.output
    with Store(out, read_only=True) as store:
        rows = store.con.execute("SELECT call_id, call_date, queue, agent, customer_id FROM conversations "
                                 "ORDER BY call_id").fetchall()
    assert rows[1] == ("lost_card", date(2026, 11, 20), "cards", "card", "C42")   # sidecar first, then file name
    assert rows[0][2:] == ("cancel", "threat", None) and rows[2][2:] == ("parcel", "late", None)

    (inputs / "lost_card.wav").write_text("not audio any more\n" * 40)   # now fails: leaves the store with the manifest
    failed = run_here(inputs, out)
    assert failed.exit_code == 1 and "lost_card.wav: not a readable audio file" in failed.stderr
    with Store(out, read_only=True) as store:
        assert sorted(row[0] for row in store.con.execute("SELECT call_id FROM conversations").fetchall()) == [
            "cancel_threat", "parcel_late"]
        assert store.scalar("SELECT count(*) FROM utterances WHERE call_id = 'lost_card'") == 0
