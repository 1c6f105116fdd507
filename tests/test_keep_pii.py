"""`--keep-pii` as docs/reports.md says: a run with it stores text unredacted, but the reports it writes
are redacted; only `callscope report --keep-pii` shows that text as is."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from callscope.batch import RunSummary
from callscope.cli import app
from callscope.metadata import CallMetadata
from callscope.store import Store
from tests.fixtures.synthetic_corpus import END_DATE, generate_conversations

CARD = "4556 7375 8689 9855"


class StoringRunner:
    """Stands in for the batch: stores one call unredacted, as a run with --keep-pii does."""

    def __init__(self, settings, out_dir: Path, hook=None):
        self.settings, self.out_dir = settings, Path(out_dir)

    def run(self, inputs):
        conversation = generate_conversations(1, seed=3, end_date=END_DATE)[0].conversation
        conversation.id = "plain-call"
        conversation.processing.redacted = self.settings.output.redact
        conversation.utterances[1].text = f"Sure, the card is {CARD}, thanks."
        with Store(self.out_dir) as store:
            store.upsert(conversation, CallMetadata(call_time=datetime.combine(END_DATE, datetime.min.time())), "test")
        return RunSummary(run_id="test", out=self.out_dir, processed=1, audio_seconds=60.0, wall_seconds=1.0)


def pages_text(folder: Path) -> str:
    return "".join(p.read_text(encoding="utf-8", errors="ignore") for p in folder.rglob("*") if p.is_file())


def test_run_keep_pii_stores_text_unredacted_but_writes_redacted_reports(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("callscope.batch.BatchRunner", StoringRunner)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(tmp_path), "--out", str(out), "--keep-pii"])
    assert result.exit_code == 0, result.output
    with Store(out, read_only=True) as store:
        stored = store.con.execute("SELECT string_agg(text, ' ') FROM utterances").fetchone()[0]
    assert CARD in stored
    reports = pages_text(out / "reports")
    assert "[CARD]" in reports and "4556 7375" not in reports


def test_report_keep_pii_shows_the_stored_text(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("callscope.batch.BatchRunner", StoringRunner)
    out = tmp_path / "out"
    assert CliRunner().invoke(app, ["run", str(tmp_path), "--out", str(out), "--keep-pii", "--no-report"]).exit_code == 0
    assert CliRunner().invoke(app, ["report", "--out", str(out)]).exit_code == 0
    assert "4556 7375" not in pages_text(out / "reports")
    assert CliRunner().invoke(app, ["report", "--out", str(out), "--keep-pii"]).exit_code == 0
    assert CARD in pages_text(out / "reports") and "personal data" in pages_text(out / "reports")
