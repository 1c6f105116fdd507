"""A damaged store (truncated, a corrupt block, zero bytes) is moved aside and rebuilt equal to the original
from the calls' JSON, the manifest, the CSV inputs and the saved topics; store errors classified by type."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from callscope.config import Settings
from callscope.corpus import load_inputs, update_corpus
from callscope.errors import CallscopeError, StoreDamaged
from callscope.manifest import FileRecord, Manifest, RunRecord
from callscope.metadata import MetadataResolver
from callscope.recovery import rebuild_store, recovering, with_store_recovery
from callscope.store import STORE_FILE, TABLES, Store, store_error
from tests.fixtures.synthetic_corpus import generate_conversations, write_events, write_surveys

BLOCK = 262144    # DuckDB's block size


def write_sidecar(calls, path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["call_id", "call_time", "queue", "agent", "team", "customer_id", "channel"])
        for c in calls:
            m = c.metadata
            writer.writerow([c.conversation.id, m.call_time.isoformat(), m.queue or "", m.agent or "", m.team or "",
                             m.customer_id or "", m.channel or ""])
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> tuple[Path, Settings]:
    """An output folder as `callscope run` leaves it: calls' JSON, manifest, store with topics."""
    root = tmp_path_factory.mktemp("recovery")
    calls = generate_conversations(120, seed=9)
    settings = Settings()
    settings.metadata.sidecar = str(write_sidecar(calls, root / "calls.csv"))
    settings.corpus.surveys = str(write_surveys(calls, root / "surveys.csv", 0.3, 9))
    settings.corpus.events = str(write_events(root / "events.csv"))
    settings.topics.min_documents = 20
    settings.topics.min_topic_size = 5
    out = root / "out"
    out.mkdir()
    manifest = Manifest()
    runs = [RunRecord(run_id="r1", started_at="2026-11-30T22:00:00+00:00", finished_at="2026-11-30T22:40:00+00:00",
                      inputs=60, processed=60, config_hash="abc"),
            RunRecord(run_id="r2", started_at="2026-12-01T22:00:00+00:00", inputs=60, config_hash="abc")]
    manifest.runs = runs
    resolver = MetadataResolver(settings.metadata)
    with Store(out) as store:
        load_inputs(store, settings)
        for run in runs:
            store.record_run(run.run_id, run.started_at, run.finished_at, run.config_hash, run.inputs,
                             run.processed, run.failed)
        for k, c in enumerate(calls):
            run_id = runs[k % 2].run_id
            (out / f"{c.conversation.id}.json").write_text(c.conversation.model_dump_json(indent=2))
            path = root / "in" / f"{c.conversation.id}.wav"
            manifest.files[c.conversation.id] = FileRecord(
                id=c.conversation.id, path=str(path), sha256=c.conversation.source.sha256, size_bytes=1, status="ok",
                config_hash="abc", run_id=run_id, processed_at="t", outputs=[f"{c.conversation.id}.json"])
            store.upsert(c.conversation, resolver.resolve(c.conversation.id, path), run_id)
        summary = update_corpus(store, settings, out / "topics")
        assert summary.topics.topics > 0, summary.topics.note
        store.con.execute("CHECKPOINT")
    manifest.save(out)
    return out, settings


def contents(path: Path) -> dict[str, list[tuple]]:
    with Store(path, read_only=True) as store:
        return {table: store.con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall() for table in TABLES}


def truncate(file: Path) -> None:
    with open(file, "r+b") as handle:
        handle.truncate(file.stat().st_size // 2)


def corrupt_blocks(file: Path) -> None:
    with open(file, "r+b") as handle:
        for offset in range(3 * BLOCK, file.stat().st_size, 2 * BLOCK):
            handle.seek(offset + 1000)
            handle.write(bytes(range(64)))


def zero_bytes(file: Path) -> None:
    file.write_bytes(b"")


DAMAGE = {"truncated": truncate, "corrupt block": corrupt_blocks, "zero bytes": zero_bytes}


def read_everything(out: Path) -> int:
    with Store(out, read_only=True) as store:
        return sum(len(store.con.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES)


@pytest.mark.slow
@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_store_is_moved_aside_and_rebuilt_equal_to_the_original(tmp_path, folder, damage):
    original, settings = folder
    out = tmp_path / "out"
    shutil.copytree(original, out)
    expected = contents(out)
    assert expected["topics"] and expected["surveys"] and len(expected["runs"]) == 2
    DAMAGE[damage](out / STORE_FILE)
    with pytest.raises((StoreDamaged, duckdb.Error)):
        read_everything(out)
    said = []
    rows = with_store_recovery(out, settings, lambda: read_everything(out), said.append)
    assert rows == sum(len(v) for v in expected.values())
    assert contents(out) == expected
    aside = list(out.glob(f"{STORE_FILE}.damaged-*"))
    assert len(aside) == 1 and len(said) == 1
    assert said[0].startswith(f"{out / STORE_FILE}: the store is damaged (")
    assert said[0].endswith(f"moved aside to {aside[0].name} and rebuilt from manifest.json and 120 call JSON file(s)")


@pytest.mark.slow
def test_rebuild_on_demand_keeps_the_old_file_and_says_what_is_missing(tmp_path, folder):
    original, settings = folder
    out = tmp_path / "out"
    shutil.copytree(original, out)
    expected = contents(out)
    lost = sorted(out.glob("*.json"))[0]
    lost.unlink()
    said = []
    result = rebuild_store(out, settings, said.append)
    assert result.calls == 119 and result.unreadable == [lost.stem] and result.moved_to.exists()
    assert said == [f"{out / STORE_FILE}: rebuild requested: moved aside to {result.moved_to.name} and rebuilt from "
                    f"manifest.json and 119 call JSON file(s); 1 call(s) without a readable JSON left out"]
    rebuilt = contents(out)
    assert rebuilt["runs"] == expected["runs"] and rebuilt["surveys"] == expected["surveys"]
    assert len(rebuilt["conversations"]) == 119


@pytest.mark.slow
def test_a_busy_store_is_not_taken_for_a_damaged_one(tmp_path, folder):
    original, settings = folder
    out = tmp_path / "out"
    shutil.copytree(original, out)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time, duckdb; con = duckdb.connect(sys.argv[1]); "
                               "print('open', flush=True); time.sleep(60)", str(out / STORE_FILE)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(CallscopeError, match="another process is using it"):
            recovering(out / STORE_FILE, lambda: read_everything(out), lambda reason: pytest.fail(reason))
    finally:
        holder.kill()
        holder.wait()
    assert not list(out.glob("*.damaged-*"))


def test_store_errors_are_classified_by_type_not_by_words(tmp_path):
    file = tmp_path / STORE_FILE
    file.write_bytes(b"x" * 100)
    # A checksum failure "in block ..." holds the letters of "lock": it is damage, not a busy store.
    assert isinstance(store_error(file, duckdb.Error("Corrupt database file: checksum mismatch in block at 0")),
                      StoreDamaged)
    assert isinstance(store_error(file, duckdb.IOException("IO Error: Could not read enough bytes")), StoreDamaged)
    other = store_error(file, duckdb.BinderException("Binder Error: no such column"))
    assert type(other) is CallscopeError and "cannot open the store (Binder Error" in str(other)


@pytest.mark.slow
def test_a_run_on_a_damaged_store_rebuilds_it_says_so_and_goes_on(tmp_path, folder, monkeypatch):
    from callscope.batch import BatchRunner
    from callscope.hooks import Messages
    from callscope.files import sha256_file
    from tests.test_bad_inputs import noise, trap_models

    original, settings = folder
    out = tmp_path / "out"
    shutil.copytree(original, out)
    manifest = Manifest.load(out)
    record = manifest.files[sorted(manifest.files)[0]]
    audio = noise(tmp_path / "in" / Path(record.path).name, 0) if (tmp_path / "in").mkdir() is None else None
    record.path, record.sha256, record.config_hash = str(audio), sha256_file(audio), settings.fingerprint()
    manifest.save(out)
    truncate(out / STORE_FILE)
    trap_models(monkeypatch)                       # the recording is unchanged: nothing to transcribe
    said = Messages()
    summary = BatchRunner(settings, out, said).run([audio])
    assert (summary.exit_code, summary.skipped, summary.processed) == (0, 1, 0)
    aside = list(out.glob(f"{STORE_FILE}.damaged-*"))
    assert len(aside) == 1
    assert f"{out / STORE_FILE}: the store is damaged (IO Error: Could not read enough bytes" in said.text
    assert f"moved aside to {aside[0].name} and rebuilt from manifest.json and 120 call JSON file(s)" in said.text
    with Store(out, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM conversations") == 120
        assert store.scalar("SELECT count(*) FROM runs") == 3


def test_the_first_failure_decides_not_the_aborted_transaction_after_it(tmp_path):
    file = tmp_path / STORE_FILE
    file.write_bytes(b"x" * 100)
    try:
        try:
            raise duckdb.IOException("IO Error: Could not read enough bytes from file")
        finally:
            raise duckdb.TransactionException("TransactionContext Error: Current transaction is aborted")
    except duckdb.Error as exc:
        problem = store_error(file, exc)
    assert isinstance(problem, StoreDamaged) and "Could not read enough bytes" in str(problem)


def export_all(out: Path, target: Path) -> list[Path]:
    with Store(out, read_only=True) as store:
        return store.export(target, "csv")


@pytest.mark.slow
@pytest.mark.parametrize("command", ["report", "export"])
def test_report_and_export_on_a_damaged_store_say_it_in_one_line_or_rebuild_and_go_on(tmp_path, folder, command):
    from callscope.reports import build_reports

    original, settings = folder
    out = tmp_path / "out"
    shutil.copytree(original, out)
    corrupt_blocks(out / STORE_FILE)
    action = {"report": lambda: build_reports(out / STORE_FILE, out / "reports", settings).files,
              "export": lambda: export_all(out, out / "export")}[command]
    with pytest.raises(StoreDamaged) as raised:     # without recovery: one line, no traceback
        action()
    assert str(raised.value).startswith(f"{out / STORE_FILE}: the store is damaged (Corrupt database file")
    said = []
    written = with_store_recovery(out, settings, action, said.append)
    assert len(said) == 1 and written and all(path.exists() for path in written)
