"""Listen: why customers get in touch, what it costs, what they talk about and what is going wrong."""

from __future__ import annotations

from datetime import timedelta

import duckdb

from callscope.config import Settings
from callscope.reports import charts
from callscope.reports.channels import channels_context
from callscope.reports.render import label, num
from callscope.reports.selection import rows
from callscope.corpus import trends
from callscope.reports.timeline import Timeline, series
from callscope.store.views import contact

FAMILIES = ("avoidable", "assistance", "selfcare", "mandatory", "unknown")
REASON_LINES = 6
TOPIC_QUOTES = 2
EVENT_LEAD_DAYS = 7  # an event up to a week before an emerging issue's rise is shown next to it


def coverage(con: duckdb.DuckDBPyConnection) -> dict:
    """Analysed contacts (survey verbatims are not contacts) vs surveyed ones, and how the predicted
    satisfaction compares."""
    found = rows(con, f"""
        SELECT count(*) FILTER ({contact('c.channel')}) AS analysed, count(s.call_id) AS surveyed,
               count(s.csat) AS with_csat, avg(c.predicted_csat) FILTER ({contact('c.channel')}) AS predicted_csat,
               avg(s.csat) AS surveyed_csat,
               corr(c.predicted_csat, s.csat) AS correlation, count(s.nps) AS with_nps,
               avg(CASE WHEN s.nps >= 9 THEN 1 WHEN s.nps <= 6 THEN -1 ELSE 0 END) AS nps
        FROM conversations c LEFT JOIN surveys s USING (call_id)""")[0]
    found["surveyed_share"] = found["surveyed"] / found["analysed"] if found["analysed"] else None
    return found


def reason_mix(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict:
    """Contacts per family and per reason (survey verbatims apart), with the avoidable share and its cost."""
    total = con.execute(f"SELECT count(*) FROM conversations WHERE {contact()}").fetchone()[0]
    families = {row["family"]: row for row in rows(con, f"""
        SELECT coalesce(family, 'unknown') AS family, count(*) AS n FROM conversations WHERE {contact()} GROUP BY 1""")}
    reasons = rows(con, f"""
        SELECT reason, coalesce(family, 'unknown') AS family, count(*) AS n,
               avg((repeat_of IS NOT NULL)::INT) AS repeat_share,
               avg((sentiment = 'negative')::INT) AS negative_share,
               avg(predicted_csat) AS predicted_csat
        FROM conversations WHERE {contact()} GROUP BY ALL ORDER BY n DESC, reason""")
    for row in reasons:
        row["share"] = row["n"] / total
    avoidable = families.get("avoidable", {}).get("n", 0)
    family_rows = [(label(f), [(label(f), families[f]["n"])], f"{families[f]['n']:,} · {families[f]['n'] / total:.0%}")
                   for f in FAMILIES if f in families]
    return {
        "total": total,
        "reasons": reasons,
        "avoidable": avoidable,
        "avoidable_share": avoidable / total if total else None,
        "avoidable_cost": avoidable * settings.reports.cost_per_contact,
        "family_chart": charts.bar_chart(family_rows, title="Calls per reason family", width=540, label_width=110,
                                         colours={label(f): c for f, c in charts.FAMILY_COLOURS.items()}),
    }


def events(con: duckdb.DuckDBPyConnection, axis: Timeline) -> list[dict]:
    """Events (campaigns, outages...) inside the period covered, in date order."""
    return [e for e in trends.events(con) if axis.covers(e["event_date"])]


def volume_chart(con: duckdb.DuckDBPyConnection, axis: Timeline, timeline_events: list[dict]) -> charts.LineChart | None:
    """All calls per period, with the events marked."""
    if len(axis.starts) < 2:
        return None
    totals = {row["period"]: row["total"] for row in trends.volumes(con, "family", axis.period)}
    counts = [totals.get(start, 0) for start in axis.starts]
    xs = list(range(len(axis.starts)))
    return charts.line_chart([charts.SeriesData("calls", xs, counts,
                                                [f"{lab}: {n} calls" for lab, n in zip(axis.labels(), counts)])],
                             title=f"Calls per {axis.period}", x_ticks=charts.thin(axis.labels()), y_min=0,
                             markers=_markers(axis, timeline_events), width=540, height=220)


def _markers(axis: Timeline, timeline_events: list[dict]) -> list[tuple[float, str]]:
    return [(axis.index(e["event_date"]), f"{e['event_date']:%d %b}: {e['label']}") for e in timeline_events]


def reasons_over_time(con: duckdb.DuckDBPyConnection, axis: Timeline, timeline_events: list[dict]) -> charts.LineChart | None:
    """The most frequent reasons per period, with the events marked."""
    if len(axis.starts) < 2:
        return None
    counts = series(trends.volumes(con, "reason", axis.period), axis)
    top = sorted((r for r in counts if r != "unknown"), key=lambda r: (-sum(counts[r]), r))[:REASON_LINES]
    xs = list(range(len(axis.starts)))
    lines = [charts.SeriesData(label(r), xs, counts[r],
                               [f"{label(r)}, {lab}: {n} calls" for lab, n in zip(axis.labels(), counts[r])])
             for r in top]
    return charts.line_chart(lines, title=f"Calls per {axis.period} for the top reasons",
                             x_ticks=charts.thin(axis.labels()), markers=_markers(axis, timeline_events), y_min=0)


def emerging_issues(con: duckdb.DuckDBPyConnection, timeline_events: list[dict]) -> list[dict]:
    """Reasons and topics rising in the latest week against their 4-week baseline
    (callscope.corpus.trends.emerging), each with the events from a week before the rise to its end."""
    issues = []
    for issue in trends.emerging(con, period="week"):
        start, end = issue["period"] - timedelta(days=EVENT_LEAD_DAYS), issue["period"] + timedelta(days=6)
        issues.append({**issue, "events": [e for e in timeline_events if start <= e["event_date"] <= end]})
    return issues


def topics(con: duckdb.DuckDBPyConnection, top: int) -> dict:
    """The largest topics in the selection with keywords, the customer's opening words in their latest
    calls, and the outlier share."""
    found = rows(con, """
        SELECT t.topic_id, t.label, t.keywords, t.representative, count(*) AS n
        FROM conversations c JOIN topics t USING (topic_id)
        WHERE c.topic_id >= 0 GROUP BY ALL ORDER BY n DESC, t.topic_id LIMIT ?""", [top])
    modelled = rows(con, """SELECT count(topic_id) AS modelled, count(*) FILTER (topic_id = -1) AS outliers
                            FROM conversations""")[0]
    first, last = con.execute("SELECT min(call_date), max(call_date) FROM conversations").fetchone()
    for topic in found:
        topic["keywords"] = [k.strip() for k in (topic["keywords"] or "").split(",") if k.strip()][:8]
        topic["quotes"] = trends.example_calls(con, "topic", topic["topic_id"], first, last + timedelta(days=1),
                                               TOPIC_QUOTES)
    chart = charts.bar_chart([(t["label"] or f"topic {t['topic_id']}", [("calls", t["n"])], num(t["n"]))
                              for t in found], title="Calls per topic") if found else None
    return {"items": found, "chart": chart, **modelled}


def aspects(con: duckdb.DuckDBPyConnection, axis: Timeline) -> list[dict]:
    """Per aspect: mentions, how often negative, the negative share's trend and a negative quote."""
    found = rows(con, """
        SELECT aspect, count(*) AS mentions, count(*) FILTER (polarity = 'negative') AS negative,
               count(DISTINCT call_id) AS calls
        FROM aspects GROUP BY aspect ORDER BY negative DESC, mentions DESC, aspect""")
    per_period = trends.volumes(con, "aspect", axis.period)
    mentioned, negative_calls = series(per_period, axis), series(per_period, axis, "negative")
    quotes = {row["aspect"]: row for row in rows(con, """
        SELECT aspect, call_id, utterance, start_s, text FROM aspects WHERE polarity = 'negative'
        QUALIFY row_number() OVER (PARTITION BY aspect ORDER BY score NULLS LAST, call_id, idx) = 1""")}
    half = len(axis.starts) // 2
    for item in found:
        empty = [0] * len(axis.starts)
        mentions, negative = mentioned.get(item["aspect"], empty), negative_calls.get(item["aspect"], empty)
        item["negative_share"] = item["negative"] / item["mentions"]
        shares = [n / m if m else 0.0 for n, m in zip(negative, mentions)]
        item["spark"] = charts.sparkline(
            shares, f"{label(item['aspect'])}: share of the calls mentioning it that were negative, per {axis.period}")
        early, late = sum(negative[:half]), sum(negative[half:])
        early_n, late_n = sum(mentions[:half]), sum(mentions[half:])
        item["change"] = (late / late_n - early / early_n) if half and early_n and late_n else None
        item["quote"] = quotes.get(item["aspect"])
    return found


def sentiment(con: duckdb.DuckDBPyConnection, axis: Timeline) -> dict:
    """Trajectories per family, and customers' mood at the start and end of calls over time."""
    found = rows(con, """
        SELECT coalesce(family, 'unknown') AS family, coalesce(trajectory, 'unknown') AS trajectory, count(*) AS n
        FROM conversations GROUP BY ALL""")
    order = ("improved", "stable", "worsened", "unknown")
    chart_rows = []
    for family in FAMILIES:
        parts = {r["trajectory"]: r["n"] for r in found if r["family"] == family}
        if parts:
            total = sum(parts.values())
            improved = parts.get("improved", 0) / total
            chart_rows.append((label(family), [(t, parts.get(t, 0)) for t in order if parts.get(t)],
                               f"{improved:.0%} improved"))
    trajectories = charts.bar_chart(chart_rows, title="Sentiment trajectory per reason family",
                                    colours=charts.TRAJECTORY_COLOURS, normalise=True, width=540,
                                    label_width=110) if chart_rows else None
    mood = None
    if len(axis.starts) >= 2:
        means = rows(con, f"""
            SELECT date_trunc('{axis.period}', call_date)::DATE AS start, avg(sentiment_start) AS s,
                   avg(sentiment_end) AS e FROM conversations GROUP BY 1""")
        by_start = {m["start"]: m for m in means}
        xs = list(range(len(axis.starts)))
        starts = [by_start.get(d, {}).get("s") for d in axis.starts]
        ends = [by_start.get(d, {}).get("e") for d in axis.starts]
        mood = charts.line_chart(
            [charts.SeriesData("start of the call", xs, starts, colour=charts.PALETTE[3]),
             charts.SeriesData("end of the call", xs, ends, colour=charts.PALETTE[2])],
            title="Mean customer sentiment at the start and at the end of calls",
            x_ticks=charts.thin(axis.labels()), y_min=-1, y_max=1,
            y_format=lambda v: f"{v:+.1f}" if v else "0", width=540, height=240)
    return {"trajectories": trajectories, "mood": mood}


def listen_context(con: duckdb.DuckDBPyConnection, settings: Settings, axis: Timeline) -> dict:
    """Everything listen.html shows."""
    timeline_events = events(con, axis)
    return {
        "coverage": coverage(con),
        "mix": reason_mix(con, settings),
        "channels": channels_context(con, settings),
        "events": timeline_events,
        "volume_chart": volume_chart(con, axis, timeline_events),
        "reasons_chart": reasons_over_time(con, axis, timeline_events),
        "emerging": emerging_issues(con, timeline_events),
        "topics": topics(con, settings.reports.top),
        "aspects": aspects(con, axis),
        "sentiment": sentiment(con, axis),
        "period": axis.period,
        "repeat_days": settings.corpus.repeat_days,
        "currency": settings.reports.currency,
        "cost_per_contact": settings.reports.cost_per_contact,
    }
