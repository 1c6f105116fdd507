"""Close-the-loop actions: rules, actions.csv, and webhook delivery against a local HTTP server."""

from __future__ import annotations

import csv
import json
import socket
import ssl
import threading
from collections import Counter
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from callscope.config import ActionRule, Settings, WebhookSettings, load_settings
from callscope.errors import ConfigError
from callscope.reports import build_reports
from callscope.reports.actions import COLUMNS, find_actions, matches, write_csv
from callscope.reports.webhook import deliver, delivered_ids
from callscope.reports.selection import open_selection
from tests.fixtures.synthetic_corpus import build_store


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return build_store(tmp_path_factory.mktemp("actions") / "callscope.duckdb", n=200, seed=3)


@pytest.fixture(scope="module")
def actions(store):
    con = open_selection(store)
    yield find_actions(con, Settings().actions.rules)
    con.close()


class Receiver:
    """A CRM stand-in: answers `fail_first` 500s per idempotency key (or always `status`), then 200."""

    def __init__(self, fail_first: int = 0, status: int = 200):
        self.fail_first, self.status = fail_first, status
        self.attempts: Counter = Counter()
        self.delivered: list[dict] = []
        self.lock = threading.Lock()

    def handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers["Idempotency-Key"]
                with receiver.lock:
                    receiver.attempts[key] += 1
                    status = 500 if receiver.attempts[key] <= receiver.fail_first else receiver.status
                    if status == 200:
                        receiver.delivered.append({"key": key, **body})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler


@contextmanager
def serving(receiver: Receiver, certificate: tuple[Path, Path] | None = None):
    """The receiver on 127.0.0.1, over TLS with `certificate` (cert and key files) when given."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
    if certificate:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*certificate)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if certificate else 'http'}://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(**overrides) -> dict:
    base = {"call_id": "c1", "reason": "parcel_late", "family": "avoidable", "sentiment": "negative",
            "trajectory": "worsened", "predicted_csat": 2.0, "repeat_of": None, "sales_opportunity": False,
            "signals": {}}
    return {**base, **overrides}


def test_rule_conditions_all_must_hold_and_lists_match_any():
    rule = ActionRule(action="a", families=["avoidable"], trajectory=["worsened", "stable"], predicted_csat_below=2.5)
    assert matches(rule, call())
    assert not matches(rule, call(predicted_csat=2.5))          # below is strict
    assert not matches(rule, call(predicted_csat=None))
    assert not matches(rule, call(trajectory="improved"))
    assert not matches(rule, call(family="assistance"))
    churn = ActionRule(action="b", signals=["churn_intent", "legal_threat"])
    assert matches(churn, call(signals={"legal_threat": {}}))
    assert not matches(churn, call(signals={"purchase_intent": {}}))
    repeat = ActionRule(action="c", repeat_contact=True)
    assert matches(repeat, call(repeat_of="c0")) and matches(repeat, call(signals={"repeat_contact": {}}))
    assert not matches(repeat, call())
    assert matches(ActionRule(action="d", repeat_contact=False, reasons=["parcel_late"]), call())


def test_rule_without_condition_is_a_config_error(tmp_path: Path):
    path = tmp_path / "my.yaml"
    path.write_text("actions:\n  rules:\n    - {action: call_everyone, priority: high}\n")
    with pytest.raises(ConfigError, match=r"my.yaml: actions.rules.0: .*no condition"):
        load_settings(path)


def test_actions_follow_the_rules_on_the_store(store, actions):
    con = open_selection(store)
    churn_calls = {r[0] for r in con.execute("SELECT DISTINCT call_id FROM signals WHERE kind = 'churn_intent'").fetchall()}
    con.close()
    retention = {a.call_id: a for a in actions if a.action == "retention_call"}
    assert churn_calls and set(retention) == churn_calls
    assert all(a.priority == "high" and a.evidence for a in retention.values())
    assert len({a.action_id for a in actions}) == len(actions)
    assert [a.priority for a in actions] == sorted((a.priority for a in actions), key=["high", "medium", "low"].index)


def test_actions_csv_is_complete_and_stable(tmp_path: Path, actions):
    first = write_csv(actions, tmp_path / "actions.csv").read_bytes()
    with open(tmp_path / "actions.csv", newline="", encoding="utf-8") as handle:
        read = list(csv.DictReader(handle))
    assert list(read[0]) == COLUMNS and len(read) == len(actions)
    assert [r["action_id"] for r in read] == [a.action_id for a in actions]
    assert write_csv(actions, tmp_path / "actions.csv").read_bytes() == first


def test_webhook_retries_5xx_and_never_delivers_twice(tmp_path: Path, actions):
    receiver, waits = Receiver(fail_first=2), []
    record = tmp_path / "deliveries.jsonl"
    with serving(receiver) as url:
        hook = WebhookSettings(url=url, retries=3, backoff_seconds=0.5)
        summary = deliver(actions, hook, record, sleep=waits.append)
        assert summary.delivered == len(actions) and summary.failed == 0
        assert summary.attempts == 3 * len(actions)
        assert len(waits) == 2 * len(actions)                   # backoff: tests/test_webhook.py
        again = deliver(actions, hook, record, sleep=waits.append)
    assert again.already_delivered == len(actions) and again.attempts == 0
    assert sorted(d["key"] for d in receiver.delivered) == sorted(a.action_id for a in actions)
    assert {d["action_id"] for d in receiver.delivered} == {a.action_id for a in actions}
    entries = [json.loads(line) for line in record.read_text().splitlines()]
    assert len(entries) == len(actions) and all(e["status"] == "delivered" and e["attempts"] == 3 for e in entries)


def test_unreachable_webhook_is_recorded_and_retried_on_the_next_run(tmp_path: Path, actions):
    record = tmp_path / "deliveries.jsonl"
    some = actions[:5]
    down = WebhookSettings(url=f"http://127.0.0.1:{free_port()}/hook", retries=2, backoff_seconds=0, timeout_seconds=2)
    summary = deliver(some, down, record, sleep=lambda s: None)
    assert summary.failed == 5 and summary.attempts == 3 * 3 and not delivered_ids(record)
    attempts = [json.loads(line)["attempts"] for line in record.read_text().splitlines()]
    assert attempts == [3, 3, 3, 0, 0]          # after 3 actions without an answer the others are not sent
    receiver = Receiver()
    with serving(receiver) as url:
        summary = deliver(some, WebhookSettings(url=url), record)
    assert summary.delivered == 5 and len(receiver.delivered) == 5
    assert delivered_ids(record) == {a.action_id for a in some}


def test_client_errors_are_not_retried(tmp_path: Path, actions):
    receiver = Receiver(status=422)
    with serving(receiver) as url:
        summary = deliver(actions[:3], WebhookSettings(url=url, retries=4, backoff_seconds=0), tmp_path / "d.jsonl")
    assert summary.failed == 3 and summary.attempts == 3 and not receiver.delivered


@pytest.mark.slow
def test_report_reruns_send_each_action_once(tmp_path: Path, store):
    settings = Settings()
    receiver = Receiver(fail_first=1)
    with serving(receiver) as url:
        settings.actions.webhook = WebhookSettings(url=url, backoff_seconds=0.01)
        build_reports(store, tmp_path, settings)
        first = len(receiver.delivered)
        build_reports(store, tmp_path, settings)
    rows = list(csv.DictReader(open(tmp_path / "actions.csv", encoding="utf-8")))
    assert first == len(rows) > 0 and len(receiver.delivered) == first
    assert "delivered before" in (tmp_path / "engage.html").read_text(encoding="utf-8")
