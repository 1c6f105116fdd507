"""Trends over the store: volumes per period, emerging issues, and the events to draw beside them.

Every function takes a DuckDB connection whose `conversations`, `utterances`, `aspects`,
`topics` and `events` are the store's tables (or views of them, as reports use) and returns
plain dicts, ready for templates and JSON. Periods are "day", "week" (ISO weeks, starting on
Monday) or "month", named by their first day.

Emerging issue (docs/topics.md): a reason or topic whose share of the calls in the latest period
is significantly higher than its share over the `baseline_periods` periods before it. Test: for
each candidate, a one-sided Fisher exact test on the 2x2 table (calls with / without it, latest
period vs baseline); the p-values of all candidates (every reason but `unknown` and every topic
seen in either window) are adjusted together with Benjamini-Hochberg, and an issue is reported
when q <= alpha, it has at least `min_count` calls in the latest period and its share rose at
least `min_lift` times (or it is absent from the baseline).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal, TypedDict

import duckdb

Period = Literal["day", "week", "month"]
By = Literal["reason", "family", "topic", "aspect"]
QUOTE_MIN_WORDS = 4
QUOTE_MAX_CHARS = 240

_KEYS = {  # per `by`: SQL key over conversations c, and the calls it applies to
    "reason": ("c.reason", "TRUE"),
    "family": ("coalesce(c.family, 'unknown')", "TRUE"),
    "topic": ("c.topic_id", "c.topic_id IS NOT NULL"),
}


class Example(TypedDict):
    call_id: str
    quote: str


class EmergingIssue(TypedDict):
    """One emerging reason or topic (shares are of all calls in the window)."""

    kind: str                   # "reason" | "topic"
    key: str | int              # reason id or topic id
    label: str                  # reason id, or the topic's label
    period: date                # first day of the latest period
    count: int                  # calls with it in the latest period
    total: int                  # calls in the latest period
    share: float
    baseline_start: date        # first day of the baseline window
    baseline_count: int
    baseline_total: int
    baseline_share: float
    lift: float | None          # share / baseline_share; None when absent from the baseline
    p_value: float              # one-sided Fisher exact test
    q_value: float              # Benjamini-Hochberg over all candidates
    examples: list[Example]     # calls of the latest period with a customer quote


def _check_period(period: str) -> str:
    if period not in ("day", "week", "month"):
        raise ValueError(f"period must be day, week or month, not {period!r}")
    return period


def period_start(day: date, period: Period) -> date:
    """The first day of the period holding `day`."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _shift(start: date, period: Period, periods: int) -> date:
    """The start of the period `periods` periods before `start` (a period start)."""
    if period == "month":
        months = start.year * 12 + start.month - 1 - periods
        return date(months // 12, months % 12 + 1, 1)
    return start - timedelta(days=periods * (7 if period == "week" else 1))


def volumes(con: duckdb.DuckDBPyConnection, by: By = "reason", period: Period = "week") -> list[dict]:
    """Calls per period and value of `by`, in period then key order.

    Each row: period (first day), key (reason id, family, topic id with -1 for outliers, or aspect
    id), label (the topic's label for topics, else the key), count (calls), total (calls in the
    period, all of them), share (count / total). Aspect rows also have `negative` (calls with a
    negative mention of it). Calls not yet given a topic are left out of topic rows.
    """
    _check_period(period)
    bucket = f"date_trunc('{period}', c.call_date)::DATE"
    totals = (f"(SELECT {bucket} AS period, count(*) AS total FROM conversations c "
              f"WHERE c.call_date IS NOT NULL GROUP BY 1)")
    if by == "aspect":
        query = f"""
            WITH per_call AS (
                SELECT a.call_id, a.aspect, bool_or(a.polarity = 'negative') AS negative
                FROM aspects a GROUP BY ALL),
            counts AS (
                SELECT {bucket} AS period, p.aspect AS key, count(*) AS count,
                       count(*) FILTER (p.negative) AS negative
                FROM per_call p JOIN conversations c USING (call_id)
                WHERE c.call_date IS NOT NULL GROUP BY ALL)
            SELECT counts.period, counts.key, counts.key AS label, counts.count, t.total, counts.negative
            FROM counts JOIN {totals} t USING (period) ORDER BY counts.period, counts.key"""
    elif by in _KEYS:
        key, where = _KEYS[by]
        label = ("coalesce(tp.label, CASE WHEN counts.key = -1 THEN 'outliers' END)" if by == "topic"
                 else "counts.key")
        join = "LEFT JOIN topics tp ON tp.topic_id = counts.key" if by == "topic" else ""
        query = f"""
            WITH counts AS (
                SELECT {bucket} AS period, {key} AS key, count(*) AS count
                FROM conversations c WHERE c.call_date IS NOT NULL AND {where} GROUP BY ALL)
            SELECT counts.period, counts.key, {label} AS label, counts.count, t.total
            FROM counts JOIN {totals} t USING (period) {join} ORDER BY counts.period, counts.key"""
    else:
        raise ValueError(f"by must be reason, family, topic or aspect, not {by!r}")
    cursor = con.execute(query)
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    for row in rows:
        row["share"] = row["count"] / row["total"]
    return rows


def events(con: duckdb.DuckDBPyConnection, period: Period | None = None) -> list[dict]:
    """The events (event_date, label, kind) in date order; with `period`, each also gets the
    first day of its period, to place it on a volume chart."""
    found = [dict(zip(("event_date", "label", "kind"), row)) for row in con.execute(
        "SELECT event_date, label, kind FROM events WHERE event_date IS NOT NULL "
        "ORDER BY event_date, label").fetchall()]
    if period is not None:
        for event in found:
            event["period"] = period_start(event["event_date"], _check_period(period))
    return found


def emerging(con: duckdb.DuckDBPyConnection, period: Period = "week", baseline_periods: int = 4,
             alpha: float = 0.05, min_count: int = 10, min_lift: float = 1.5,
             kinds: tuple[str, ...] = ("reason", "topic"), examples: int = 3,
             latest: date | None = None) -> list[EmergingIssue]:
    """Reasons and topics rising significantly in the latest period (module docstring), most
    significant first. `latest` picks the period holding that day (default: the last call's).
    Empty when there are no calls in the latest period or none in the baseline window."""
    from scipy.stats import false_discovery_control, fisher_exact

    _check_period(period)
    if baseline_periods < 1:
        raise ValueError("baseline_periods must be at least 1")
    if latest is None:
        latest = con.execute("SELECT max(call_date) FROM conversations").fetchall()[0][0]
        if latest is None:
            return []
    start = period_start(latest, period)
    end = _shift(start, period, -1)
    base_start = _shift(start, period, baseline_periods)
    window = [base_start, start, end]
    total, base_total = con.execute(
        "SELECT count(*) FILTER (call_date >= ?2 AND call_date < ?3), "
        "count(*) FILTER (call_date >= ?1 AND call_date < ?2) FROM conversations", window).fetchall()[0]
    if not total or not base_total:
        return []
    candidates = []
    for kind in kinds:
        key, where = {"reason": ("reason", "reason <> 'unknown'"), "topic": ("topic_id", "topic_id >= 0")}[kind]
        rows = con.execute(
            f"SELECT {key}, count(*) FILTER (call_date >= ?2 AND call_date < ?3), "
            f"count(*) FILTER (call_date >= ?1 AND call_date < ?2) FROM conversations "
            f"WHERE {where} AND call_date >= ?1 AND call_date < ?3 GROUP BY 1 ORDER BY 1", window).fetchall()
        candidates += [(kind, k, x, bx) for k, x, bx in rows]
    if not candidates:
        return []
    p_values = [float(fisher_exact([[x, total - x], [bx, base_total - bx]], alternative="greater")[1])
                for _, _, x, bx in candidates]
    q_values = false_discovery_control(p_values, method="bh")
    labels = dict(con.execute("SELECT topic_id, label FROM topics").fetchall()) if "topic" in kinds else {}
    found: list[EmergingIssue] = []
    for (kind, key, x, bx), p, q in zip(candidates, p_values, q_values):
        share, base_share = x / total, bx / base_total
        lift = share / base_share if bx else None
        if q > alpha or x < min_count or (lift is not None and lift < min_lift):
            continue
        found.append(EmergingIssue(
            kind=kind, key=key, label=str(labels.get(key) or key) if kind == "topic" else key, period=start,
            count=x, total=total, share=share, baseline_start=base_start, baseline_count=bx,
            baseline_total=base_total, baseline_share=base_share, lift=lift, p_value=p, q_value=float(q),
            examples=example_calls(con, kind, key, start, end, examples)))
    found.sort(key=lambda i: (i["p_value"], -(i["lift"] or float("inf")), i["kind"], str(i["key"])))
    return found


def example_calls(con: duckdb.DuckDBPyConnection, kind: str, key: str | int, start: date, end: date,
                  limit: int = 3) -> list[Example]:
    """Up to `limit` calls with this reason (most confident first) or topic (latest first) between
    `start` and `end` (exclusive), each with the customer's first utterance of at least
    QUOTE_MIN_WORDS words (else their first), shortened to QUOTE_MAX_CHARS."""
    column, order = (("reason", "reason_confidence DESC NULLS LAST") if kind == "reason"
                     else ("topic_id", "call_time DESC NULLS LAST"))
    rows = con.execute(f"""
        WITH calls AS (
            SELECT call_id, row_number() OVER (ORDER BY {order}, call_id) AS rank FROM conversations
            WHERE {column} = ? AND call_date >= ? AND call_date < ?
            QUALIFY rank <= ?),
        said AS (
            SELECT u.call_id, u.text, u.idx,
                   len(string_split(trim(u.text), ' ')) >= {QUOTE_MIN_WORDS} AS long_enough
            FROM utterances u JOIN calls USING (call_id)
            WHERE u.role = 'customer' AND trim(u.text) <> '')
        SELECT calls.call_id, arg_min(said.text, (NOT said.long_enough, said.idx))
        FROM calls LEFT JOIN said USING (call_id) GROUP BY calls.call_id, calls.rank ORDER BY calls.rank""",
        [key, start, end, limit]).fetchall()
    return [Example(call_id=call_id, quote=_shorten(text or "")) for call_id, text in rows]


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_MAX_CHARS else text[:QUOTE_MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"
