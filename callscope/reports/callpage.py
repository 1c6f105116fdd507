"""One page per call: transcript with speakers, roles, times and sentiment, the analysis, a sentiment chart."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb

from callscope.reports import charts
from callscope.reports.render import clock, conversation_word, label
from callscope.reports.selection import rows
from callscope.store.rows import WARNING_SEPARATOR

CHUNK = 500  # calls read from the store at a time


def _grouped(con: duckdb.DuckDBPyConnection, table: str, order: str, call_ids: list[str]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for row in rows(con, f"SELECT * FROM {table} WHERE call_id IN (SELECT unnest(?::VARCHAR[])) "
                         f"ORDER BY call_id, {order}", [call_ids]):
        found.setdefault(row["call_id"], []).append(row)
    return found


def sentiment_chart(utterances: list[dict], signals: list[dict], duration: float | None,
                    word: str) -> charts.LineChart | None:
    """Customer (and agent) sentiment per utterance over the conversation (a `word`: Call, Chat...), signals
    marked."""
    series = []
    for role, colour in (("customer", charts.PALETTE[0]), ("agent", "#9CA3AF")):
        said = [u for u in utterances if u["role"] == role and u["sentiment_score"] is not None]
        if said:
            series.append(charts.SeriesData(
                role, [u["start_s"] for u in said], [u["sentiment_score"] for u in said],
                [f"{role} at {clock(u['start_s'])}: {u['sentiment_score']:+.2f} {u['sentiment'] or ''}" for u in said],
                colour, [charts.POLARITY_COLOURS.get(u["sentiment"] or "neutral", colour) for u in said]))
    if not series:
        return None
    end = max(duration or 0.0, max(u["end_s"] or 0.0 for u in utterances), 1.0)
    ticks = [(t, clock(t)) for t in charts.nice_ticks(0, end, 6) if t <= end]
    return charts.line_chart(series, title=f"Sentiment over the {word.lower()}", x_ticks=ticks, y_min=-1, y_max=1,
                             y_format=lambda v: f"{v:+.1f}" if v else "0", polarity_bands=True, height=220,
                             markers=[(s["start_s"], f"{clock(s['start_s'])} {label(s['kind'])}") for s in signals
                                      if s["start_s"] is not None])


def call_contexts(con: duckdb.DuckDBPyConnection) -> Iterator[dict]:
    """The context of every selected call's page, in call time order."""
    call_ids = [r[0] for r in con.execute("SELECT call_id FROM conversations ORDER BY call_time, call_id").fetchall()]
    topics = {r["topic_id"]: r for r in rows(con, "SELECT topic_id, label, keywords FROM topics")}
    for start in range(0, len(call_ids), CHUNK):
        chunk = call_ids[start:start + CHUNK]
        calls = rows(con, """SELECT c.*, s.csat AS surveyed_csat, s.nps AS surveyed_nps
                             FROM conversations c LEFT JOIN surveys s USING (call_id)
                             WHERE c.call_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY c.call_time, c.call_id""",
                     [chunk])
        utterances = _grouped(con, "utterances", "idx", chunk)
        signals = _grouped(con, "signals", "idx", chunk)
        aspects = _grouped(con, "aspects", "idx", chunk)
        reasons = _grouped(con, "reasons", "rank", chunk)
        metrics = {m["call_id"]: m for m in rows(con, "SELECT * FROM metrics WHERE call_id IN "
                                                      "(SELECT unnest(?::VARCHAR[]))", [chunk])}
        for call in calls:
            cid = call["call_id"]
            said, word = utterances.get(cid, []), conversation_word(call["channel"])
            marks: dict[int, list[str]] = {}
            for item in signals.get(cid, []):
                marks.setdefault(item["utterance"], []).append(label(item["kind"]))
            for item in aspects.get(cid, []):
                marks.setdefault(item["utterance"], []).append(f"{label(item['aspect'])}: {item['polarity']}")
            yield {
                "call": call,
                "utterances": said,
                "marks": marks,
                "signals": signals.get(cid, []),
                "aspects": aspects.get(cid, []),
                "secondary": [r for r in reasons.get(cid, []) if r["rank"] > 0],
                "metrics": metrics.get(cid),
                "topic": topics.get(call["topic_id"]),
                "word": word,
                "chart": sentiment_chart(said, signals.get(cid, []), call["duration"], word),
                "warnings": call["warnings"].split(WARNING_SEPARATOR) if call["warnings"] else [],
            }
