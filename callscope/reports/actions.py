"""Close the loop: config rules turn analysed calls into actions for a CRM.

`find_actions` applies the `actions.rules` of the settings to the selected calls; `write_csv`
writes them as OUT/actions.csv (cells a spreadsheet would run as formulas neutralised).
An action's id is a hash of its rule and call: the `Idempotency-Key` of its webhook
delivery (callscope/reports/webhook.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import duckdb

from callscope.config import ActionRule
from callscope.csvsafe import safe_cell
from callscope.files import atomic_write_text
from callscope.reports.render import call_href
from callscope.reports.selection import rows

ACTIONS_FILE = "actions.csv"
PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2}


@dataclass
class Action:
    """One thing to do about one call; the fields are the columns of actions.csv."""

    action_id: str
    action: str
    priority: str
    description: str
    call_id: str
    call_time: str
    channel: str
    customer_id: str
    agent: str
    team: str
    queue: str
    reason: str
    family: str
    sentiment: str
    trajectory: str
    predicted_csat: float | None
    signals: str
    evidence: str
    evidence_at: float | None
    call_page: str


COLUMNS = [f.name for f in fields(Action)]


def action_id(action: str, call_id: str) -> str:
    """Stable idempotency key of an action on a call."""
    return hashlib.sha256(f"{action}\x1f{call_id}".encode("utf-8")).hexdigest()[:24]


def _calls(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Selected calls with their signals (kind -> strongest evidence) and lowest customer moment."""
    calls = rows(con, """
        SELECT c.call_id, c.call_time, coalesce(c.channel, 'voice') AS channel, c.customer_id, c.agent, c.team,
               c.queue, c.reason, c.family,
               c.sentiment, c.trajectory, c.predicted_csat, c.repeat_of, c.sales_opportunity,
               low.text AS low_text, low.start_s AS low_at
        FROM conversations c
        LEFT JOIN (SELECT call_id, text, start_s FROM utterances WHERE role = 'customer'
                   QUALIFY row_number() OVER (PARTITION BY call_id ORDER BY sentiment_score NULLS LAST, idx) = 1)
             AS low USING (call_id)
        ORDER BY c.call_time, c.call_id""")
    signals: dict[str, dict[str, dict]] = {}
    for signal in rows(con, """SELECT call_id, kind, text, start_s FROM signals
                              ORDER BY call_id, confidence DESC, idx"""):
        signals.setdefault(signal["call_id"], {}).setdefault(signal["kind"], signal)
    for call in calls:
        call["signals"] = signals.get(call["call_id"], {})
    return calls


def matches(rule: ActionRule, call: dict) -> bool:
    """Whether every condition of the rule holds for the call."""
    csat = call["predicted_csat"]
    repeat = call["repeat_of"] is not None or "repeat_contact" in call["signals"]
    return all((
        not rule.signals or any(kind in call["signals"] for kind in rule.signals),
        not rule.reasons or call["reason"] in rule.reasons,
        not rule.families or call["family"] in rule.families,
        not rule.sentiment or call["sentiment"] in rule.sentiment,
        not rule.trajectory or call["trajectory"] in rule.trajectory,
        rule.predicted_csat_below is None or (csat is not None and csat < rule.predicted_csat_below),
        rule.predicted_csat_at_least is None or (csat is not None and csat >= rule.predicted_csat_at_least),
        rule.repeat_contact is None or repeat == rule.repeat_contact,
        rule.sales_opportunity is None or bool(call["sales_opportunity"]) == rule.sales_opportunity,
    ))


def _evidence(rule: ActionRule, call: dict) -> tuple[str, float | None]:
    """The quote behind an action: the matching signal's utterance, else the customer's lowest moment."""
    kinds = [k for k in rule.signals if k in call["signals"]] or list(call["signals"])
    if kinds and (rule.signals or not call["low_text"]):
        signal = call["signals"][kinds[0]]
        return signal["text"] or "", signal["start_s"]
    return call["low_text"] or "", call["low_at"]


def find_actions(con: duckdb.DuckDBPyConnection, rules: list[ActionRule]) -> list[Action]:
    """Every (rule, call) match as an Action, high priority first, then by call time."""
    found = []
    for call in _calls(con):
        for rule in rules:
            if not matches(rule, call):
                continue
            evidence, evidence_at = _evidence(rule, call)
            found.append(Action(
                action_id=action_id(rule.action, call["call_id"]), action=rule.action, priority=rule.priority,
                description=rule.description, call_id=call["call_id"],
                call_time=call["call_time"].isoformat(sep=" ") if call["call_time"] else "",
                channel=call["channel"], customer_id=call["customer_id"] or "", agent=call["agent"] or "",
                team=call["team"] or "",
                queue=call["queue"] or "", reason=call["reason"] or "", family=call["family"] or "",
                sentiment=call["sentiment"] or "", trajectory=call["trajectory"] or "",
                predicted_csat=round(call["predicted_csat"], 2) if call["predicted_csat"] is not None else None,
                signals=" ".join(sorted(call["signals"])), evidence=evidence,
                evidence_at=round(evidence_at, 2) if evidence_at is not None else None,
                call_page=call_href(call["call_id"])))
    found.sort(key=lambda a: (PRIORITY_ORDER[a.priority], a.call_time, a.call_id, a.action))
    return found


def write_csv(actions: list[Action], path: Path) -> Path:
    """actions.csv (UTF-8, header row, one action per row, formula-like text neutralised), written atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for item in actions:
        writer.writerow({k: "" if v is None else safe_cell(v) for k, v in asdict(item).items()})
    atomic_write_text(path, buffer.getvalue())
    return path
