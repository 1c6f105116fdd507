"""Engage: customers at risk, sales openings, proactive fixes for avoidable reasons, and the actions."""

from __future__ import annotations

from collections import Counter

import duckdb

from callscope.config import Settings
from callscope.nlp.taxonomy import Taxonomy
from callscope.reports.actions import Action
from callscope.reports import charts
from callscope.reports.render import label
from callscope.reports.selection import rows
from callscope.reports.webhook import DeliverySummary

LIST_LIMIT = 25
EVIDENCE_PER_CUSTOMER = 2
PRIORITY_COLOURS = {"high": "#D55E00", "medium": "#E69F00", "low": "#56B4E9"}
RISK_WEIGHTS = {"churn": 3, "legal": 2, "worsened": 1, "repeats": 1}


def at_risk(con: duckdb.DuckDBPyConnection) -> dict:
    """Customers with churn intent, legal threats, worsened sentiment or repeat contacts, riskiest first."""
    customers = rows(con, """
        WITH flags AS (
            SELECT c.call_id, coalesce(c.customer_id, c.call_id) AS customer, c.customer_id, c.call_time,
                   coalesce(c.channel, 'voice') AS channel,
                   c.trajectory = 'worsened' AS worsened,
                   c.repeat_of IS NOT NULL OR bool_or(s.kind = 'repeat_contact') AS repeat,
                   bool_or(s.kind = 'churn_intent') AS churn, bool_or(s.kind = 'legal_threat') AS legal,
                   c.predicted_csat
            FROM conversations c LEFT JOIN signals s USING (call_id)
            GROUP BY c.call_id, c.customer_id, c.call_time, c.channel, c.trajectory, c.repeat_of, c.predicted_csat)
        SELECT customer, any_value(customer_id) AS customer_id, count(*) AS calls,
               list(DISTINCT channel ORDER BY channel) AS channels,
               count(*) FILTER (churn) AS churn, count(*) FILTER (legal) AS legal,
               count(*) FILTER (worsened) AS worsened, count(*) FILTER (repeat) AS repeats,
               max(call_time) AS last_call, min(predicted_csat) AS lowest_csat,
               list(call_id ORDER BY call_time DESC) AS call_ids
        FROM flags GROUP BY customer
        HAVING count(*) FILTER (churn OR legal OR worsened OR repeat) > 0""")
    for customer in customers:
        customer["score"] = sum(weight * customer[key] for key, weight in RISK_WEIGHTS.items())
    customers.sort(key=lambda c: (-c["score"], -c["churn"], c["lowest_csat"] if c["lowest_csat"] is not None else 9,
                                  c["customer"]))
    shown = customers[:LIST_LIMIT]
    evidence = _evidence(con, [cid for c in shown for cid in c["call_ids"]],
                         ("churn_intent", "legal_threat", "repeat_contact"))
    for customer in shown:
        quotes: dict[tuple[str, int], dict] = {}
        for found in (e for cid in customer["call_ids"] for e in evidence.get(cid, [])):
            quotes.setdefault((found["call_id"], found["idx"]), {**found, "kinds": []})["kinds"].append(found["kind"])
        customer["evidence"] = list(quotes.values())[:EVIDENCE_PER_CUSTOMER]
    return {"customers": shown, "total": len(customers),
            "counts": {key: sum(1 for c in customers if c[key]) for key in RISK_WEIGHTS}}


def _evidence(con: duckdb.DuckDBPyConnection, call_ids: list[str], kinds: tuple[str, ...]) -> dict[str, list[dict]]:
    """Per call: its signal utterances of these kinds, else (worsened calls) the customer's lowest moment."""
    found: dict[str, list[dict]] = {}
    for row in rows(con, """
            SELECT call_id, kind, text, utterance AS idx, start_s FROM signals
            WHERE call_id IN (SELECT unnest($ids::VARCHAR[])) AND kind IN (SELECT unnest($kinds::VARCHAR[]))
            UNION ALL
            SELECT c.call_id, 'worsened', u.text, u.idx, u.start_s
            FROM conversations c JOIN utterances u ON u.call_id = c.call_id AND u.role = 'customer'
            WHERE c.call_id IN (SELECT unnest($ids::VARCHAR[])) AND c.trajectory = 'worsened'
            QUALIFY row_number() OVER (PARTITION BY c.call_id ORDER BY u.sentiment_score NULLS LAST, u.idx) = 1
            ORDER BY call_id, start_s""", {"ids": call_ids, "kinds": list(kinds)}):
        found.setdefault(row["call_id"], []).append(row)
    return found


def sales_openings(con: duckdb.DuckDBPyConnection) -> dict:
    """Calls where the customer showed purchase intent (or the reason is a sales opportunity)."""
    openings = rows(con, """
        SELECT c.call_id, c.customer_id, c.call_time, coalesce(c.channel, 'voice') AS channel, c.agent, c.reason,
               c.predicted_csat,
               s.text, s.utterance AS idx, s.start_s, s.confidence
        FROM conversations c LEFT JOIN (
            SELECT * FROM signals WHERE kind = 'purchase_intent'
            QUALIFY row_number() OVER (PARTITION BY call_id ORDER BY confidence DESC, idx) = 1) s USING (call_id)
        WHERE s.call_id IS NOT NULL OR c.sales_opportunity
        ORDER BY (s.call_id IS NOT NULL) DESC, s.confidence DESC NULLS LAST, c.call_time DESC, c.call_id""")
    return {"items": openings[:LIST_LIMIT], "total": len(openings)}


def proactive(con: duckdb.DuckDBPyConnection, settings: Settings, taxonomy: Taxonomy | None) -> list[dict]:
    """Avoidable reasons with their volume, cost, repeat share and the taxonomy's proactive action."""
    total = con.execute("SELECT count(*) FROM conversations").fetchone()[0]
    found = rows(con, """
        SELECT reason, count(*) AS n, avg((repeat_of IS NOT NULL)::INT) AS repeat_share,
               avg(predicted_csat) AS predicted_csat
        FROM conversations WHERE family = 'avoidable' GROUP BY reason ORDER BY n DESC, reason""")
    known = {r.id: r for r in taxonomy.reasons} if taxonomy else {}
    for row in found:
        reason = known.get(row["reason"])
        row["share"] = row["n"] / total
        row["cost"] = row["n"] * settings.reports.cost_per_contact
        row["description"] = reason.description if reason else ""
        row["proactive_action"] = (reason.model_extra or {}).get("proactive_action") if reason else None
    return found


def actions_summary(actions: list[Action], delivery: DeliverySummary | None, settings: Settings) -> dict:
    """Actions per rule and priority, with what the webhook delivery did."""
    counts = Counter((a.action, a.priority) for a in actions)
    rules = [{"action": r.action, "priority": r.priority, "description": r.description,
              "n": counts.get((r.action, r.priority), 0)} for r in settings.actions.rules]
    chart = charts.bar_chart([(r["action"], [(r["priority"], r["n"])], f"{r['n']:,}") for r in rules],
                             title="Actions per rule", colours=PRIORITY_COLOURS) if rules else None
    return {"rules": rules, "total": len(actions), "delivery": delivery, "chart": chart,
            "webhook": bool(settings.actions.webhook.url)}


def engage_context(con: duckdb.DuckDBPyConnection, settings: Settings, taxonomy: Taxonomy | None,
                   actions: list[Action], delivery: DeliverySummary | None) -> dict:
    """Everything engage.html shows."""
    avoidable = proactive(con, settings, taxonomy)
    currency = settings.reports.currency
    cost_chart = charts.bar_chart([(label(p["reason"]), [("cost", p["cost"])], f"{p['cost']:,.0f} {currency}")
                                   for p in avoidable], title=f"Estimated cost of avoidable contacts ({currency})",
                                  colours={"cost": charts.FAMILY_COLOURS["avoidable"]}) if avoidable else None
    return {"risk": at_risk(con), "sales": sales_openings(con), "proactive": avoidable, "cost_chart": cost_chart,
            "actions": actions_summary(actions, delivery, settings), "currency": currency, "limit": LIST_LIMIT}
