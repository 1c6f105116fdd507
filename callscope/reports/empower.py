"""Empower: how agents and teams handle calls, against their own team's median in the same channel, and coaching
moments."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Callable

import duckdb

from callscope.config import Settings
from callscope.reports import charts
from callscope.reports.render import clock, conversation_word, num, pct
from callscope.reports.selection import rows
from callscope.store.views import contact

NO_TEAM = "(no team)"
NO_AGENT = "(agent unknown)"


@dataclass(frozen=True)
class Metric:
    """One per-agent figure: `points` metrics are shares compared in percentage points, others relatively."""

    key: str
    name: str
    fmt: Callable[[float | None], str]
    points: bool
    notable: float      # deviation from the team median worth pointing out (points or relative)
    help: str
    tick: Callable[[float], str] | None = None   # axis labels, when finer than `fmt`


_RECOVERY = Metric("recovery", "Recovery rate", pct, True, 0.15,
                   "share of the contacts that started negative and ended better")
VOICE_METRICS = (
    Metric("handle", "Handle time", clock, False, 0.25, "median handle time per call"),
    Metric("talk_ratio", "Agent talk ratio", pct, True, 0.10, "median share of the talk time that is the agent's"),
    Metric("non_talk", "Non-talk share", pct, True, 0.05, "median share of the call in silences over 3 s"),
    Metric("overtalk", "Overtalk per call", lambda v: num(v, 1), False, 0.5, "mean overtalk stretches per call",
           lambda v: f"{v:g}"),
    Metric("interruptions", "Interruptions per call", lambda v: num(v, 1), False, 0.5,
           "mean times per call the agent cut in on the customer", lambda v: f"{v:g}"),
    _RECOVERY,
)
TEXT_METRICS = (       # chats and e-mails: no talk time, but replies and waits (docs/metrics.md)
    Metric("first_response", "First response", clock, False, 0.25,
           "median time from the customer's first message to the agent's first reply"),
    Metric("waiting", "Customer waiting time", clock, False, 0.25,
           "median time per conversation the customer waited for the agent's replies"),
    Metric("exchanges", "Exchanges", lambda v: num(v, 1), False, 0.25,
           "mean customer messages answered by an agent message per conversation", lambda v: f"{v:g}"),
    Metric("one_contact", "Resolved in one contact", pct, True, 0.15,
           "share of the contacts of known customers not followed by a repeat within corpus.repeat_days"),
    _RECOVERY,
)


def channel_metrics(channel: str) -> tuple[Metric, ...]:
    """The metrics agents of a channel are compared on: talk for calls, replies and waits for text."""
    return VOICE_METRICS if channel == "voice" else TEXT_METRICS


_AGGREGATES = """
    count(*) AS calls,
    median(m.handle_seconds) AS handle,
    median(m.agent_talk_ratio) AS talk_ratio,
    median(m.non_talk_seconds / nullif(m.handle_seconds, 0)) AS non_talk,
    avg(m.overtalk_count) AS overtalk,
    avg(m.agent_interruptions) AS interruptions,
    median(m.first_response_seconds) AS first_response,
    median(m.customer_wait_seconds) AS waiting,
    avg(m.exchanges) AS exchanges,
    avg(c.resolved_first_contact::INTEGER) AS one_contact,
    count(*) FILTER (c.sentiment_start < $negative) AS negative_starts,
    count(*) FILTER (c.sentiment_start < $negative AND c.trajectory = 'improved') AS recovered"""


def _with_recovery(found: list[dict]) -> list[dict]:
    for row in found:
        row["recovery"] = row["recovered"] / row["negative_starts"] if row["negative_starts"] else None
    return found


def deviation(metric: Metric, value: float | None, median: float | None) -> dict:
    """How far a value is from the median: '+12%' (relative) or '+8 pts' (shares), and whether notably."""
    if value is None or median is None:
        return {"text": "–", "notable": False, "delta": None}
    if metric.points:
        delta = value - median
        return {"text": f"{delta * 100:+.0f} pts", "notable": abs(delta) >= metric.notable, "delta": delta}
    if median == 0:
        return {"text": "–" if value == 0 else "new", "notable": value > 0, "delta": None}
    delta = value / median - 1
    return {"text": f"{delta * 100:+.0f}%", "notable": abs(delta) >= metric.notable, "delta": delta}


def teams(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[dict]:
    """Teams per channel with their figures, each agent's deviations from the median agent of the same team
    and channel: a chat agent is never compared with voice agents. Survey verbatims have no agent."""
    params = {"negative": settings.reports.negative_start}
    team_rows = _with_recovery(rows(con, f"""
        SELECT coalesce(c.channel, 'voice') AS channel, coalesce(c.team, '{NO_TEAM}') AS team,
               count(DISTINCT c.agent) AS agents, {_AGGREGATES}
        FROM conversations c LEFT JOIN metrics m USING (call_id) WHERE {contact('c.channel')}
        GROUP BY 1, 2 ORDER BY 1, 2""", params))
    agents = _with_recovery(rows(con, f"""
        SELECT coalesce(c.channel, 'voice') AS channel, coalesce(c.team, '{NO_TEAM}') AS team,
               coalesce(c.agent, '{NO_AGENT}') AS agent, {_AGGREGATES},
               count(DISTINCT s.call_id) AS escalations
        FROM conversations c LEFT JOIN metrics m USING (call_id)
        LEFT JOIN (SELECT DISTINCT call_id FROM signals WHERE kind = 'escalation_request') s USING (call_id)
        WHERE {contact('c.channel')} GROUP BY ALL ORDER BY 1, 2, 3""", params))
    several = len({team["channel"] for team in team_rows}) > 1
    for number, team in enumerate(team_rows, 1):
        team["group"] = f"{team['team']} · {team['channel']}" if several else team["team"]
        team["anchor"], team["metrics"] = f"team-{number}", channel_metrics(team["channel"])
        members = [a for a in agents if (a["channel"], a["team"]) == (team["channel"], team["team"])]
        team["medians"] = {}
        for metric in team["metrics"]:
            values = [a[metric.key] for a in members if a[metric.key] is not None]
            team["medians"][metric.key] = statistics.median(values) if values else None
        for agent in members:
            agent["deviations"] = {m.key: deviation(m, agent[m.key], team["medians"][m.key]) for m in team["metrics"]}
            agent["notable"] = sum(d["notable"] for d in agent["deviations"].values())
        team["members"] = members
    return team_rows


def distributions(team_rows: list[dict]) -> list[dict]:
    """One dot plot per metric of the teams' channel: each agent a dot, each team's median a bar."""
    plots = []
    for metric in (team_rows[0]["metrics"] if team_rows else ()):
        plot_rows = [(team["group"],
                      [(a[metric.key], f"{a['agent']}: {metric.fmt(a[metric.key])} "
                                       f"({a['deviations'][metric.key]['text']} vs team median)")
                       for a in team["members"] if a[metric.key] is not None],
                      team["medians"][metric.key]) for team in team_rows]
        if any(dots for _, dots, _ in plot_rows):
            plots.append({"metric": metric, "chart": charts.dot_plot(
                plot_rows, title=f"{metric.name} per agent, by team", x_format=metric.tick or metric.fmt,
                notable=lambda v, m, metric=metric: deviation(metric, v, m)["notable"])})
    return plots


def by_channel(team_rows: list[dict]) -> list[dict]:
    """The teams of each channel, with the channel's metrics, its word for a contact and its dot plots."""
    channels = list(dict.fromkeys(team["channel"] for team in team_rows))
    return [{"channel": channel, "word": conversation_word(channel).lower() + "s", "metrics": channel_metrics(channel),
             "teams": [t for t in team_rows if t["channel"] == channel],
             "distributions": distributions([t for t in team_rows if t["channel"] == channel])}
            for channel in channels]


def _utterances(con: duckdb.DuckDBPyConnection, call_ids: list[str]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for row in rows(con, """SELECT call_id, idx, role, start_s, end_s, text, sentiment, sentiment_score
                           FROM utterances WHERE call_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY call_id, idx""",
                    [call_ids]):
        found.setdefault(row["call_id"], []).append(row)
    return found


def _quote(utterance: dict | None, note: str) -> list[dict]:
    return [{**utterance, "note": note}] if utterance else []


def coaching(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict:
    """Best recoveries, escalations and long silences of contacts (a survey verbatim has no agent to coach),
    each with the exact quotes and times."""
    top, negative = settings.reports.top, settings.reports.negative_start
    recoveries = rows(con, f"""
        SELECT call_id, agent, team, call_time, sentiment_start, sentiment_end, lowest_at
        FROM conversations WHERE sentiment_start < ? AND trajectory = 'improved' AND {contact()}
        ORDER BY sentiment_end - sentiment_start DESC, call_id LIMIT ?""", [negative, top])
    escalations = rows(con, f"""
        SELECT s.call_id, c.agent, c.team, c.call_time, s.utterance, s.start_s, s.confidence
        FROM signals s JOIN conversations c USING (call_id)
        WHERE s.kind = 'escalation_request' AND {contact('c.channel')}
        QUALIFY row_number() OVER (PARTITION BY s.call_id ORDER BY s.start_s) = 1
        ORDER BY c.call_time DESC, s.call_id LIMIT ?""", [top])
    silences = rows(con, f"""
        SELECT c.call_id, c.agent, c.team, c.call_time, m.longest_silence, m.longest_silence_at
        FROM metrics m JOIN conversations c USING (call_id)
        WHERE m.longest_silence >= ? AND {contact('c.channel')}
        ORDER BY m.longest_silence DESC, c.call_id LIMIT ?""", [settings.reports.long_silence_seconds, top])
    said = _utterances(con, list({r["call_id"] for r in recoveries + escalations + silences}))

    for moment in recoveries:
        lines = said.get(moment["call_id"], [])
        customer = [u for u in lines if u["role"] == "customer"]
        low = min(customer, key=lambda u: (u["sentiment_score"] if u["sentiment_score"] is not None else 2.0,
                                           u["idx"]), default=None)
        reply = next((u for u in lines if low and u["idx"] > low["idx"] and u["role"] == "agent"), None)
        moment["at"] = low["start_s"] if low else None
        moment["anchor"] = low["idx"] if low else None
        moment["why"] = f"customer sentiment {moment['sentiment_start']:+.2f} → {moment['sentiment_end']:+.2f}"
        moment["quotes"] = (_quote(low, "lowest point") + _quote(reply, "agent's answer")
                            + _quote(customer[-1] if customer and customer[-1] is not low else None, "at the end"))
    for moment in escalations:
        lines = said.get(moment["call_id"], [])
        asked = next((u for u in lines if u["idx"] == moment["utterance"]), None)
        before = next((u for u in reversed(lines) if u["role"] == "agent" and u["idx"] < moment["utterance"]), None)
        moment["at"], moment["anchor"] = moment["start_s"], moment["utterance"]
        moment["why"] = "the customer asked for escalation"
        moment["quotes"] = _quote(before, "agent, just before") + _quote(asked, "escalation request")
    for moment in silences:
        lines = said.get(moment["call_id"], [])
        at = moment["longest_silence_at"]
        before = next((u for u in reversed(lines) if at is not None and u["end_s"] <= at + 0.5), None)
        after = next((u for u in lines if at is not None and u["start_s"] >= at), None)
        moment["at"] = at
        moment["anchor"] = before["idx"] if before else (after["idx"] if after else None)
        moment["why"] = f"{moment['longest_silence']:.0f} s of silence"
        moment["quotes"] = _quote(before, "before the silence") + _quote(after, "after it")
    return {"recoveries": recoveries, "escalations": escalations, "silences": silences}


def empower_context(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict:
    """Everything empower.html shows."""
    team_rows = teams(con, settings)
    moments = coaching(con, settings)
    unassigned = con.execute(f"SELECT count(*) FROM conversations WHERE agent IS NULL AND {contact()}").fetchone()[0]
    if unassigned:
        for moment in [m for kind in ("recoveries", "escalations", "silences") for m in moments[kind]]:
            moment["agent"] = moment["agent"] or NO_AGENT
    return {"teams": team_rows, "channels": by_channel(team_rows),
            "coaching": moments, "unassigned": unassigned, "no_agent": NO_AGENT,
            "negative_start": settings.reports.negative_start,
            "long_silence": settings.reports.long_silence_seconds}
