"""Customer journeys: each customer's conversations in time order across channels (the store's `journeys`
view, callscope/store/views.py), and the repeats that crossed channels per reason.

The queries read whatever `journeys` and `conversations` the connection sees: the store itself, or a
report's selection of it (where customer ids are hashed unless --keep-pii).
"""

from __future__ import annotations

import duckdb

from callscope.store.views import contact


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cursor = con.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def cross_channel_by_reason(con: duckdb.DuckDBPyConnection, top: int | None = None) -> list[dict]:
    """Per reason with at least one cross-channel repeat: contacts, repeats, cross-channel repeats
    (the repeat came by another channel than the contact before it) and self-service failures (by
    voice after a chat or e-mail about the same reason); most cross-channel repeats first."""
    return _rows(con, f"""
        SELECT coalesce(c.reason, 'unknown') AS reason, coalesce(c.family, 'unknown') AS family,
               count(*) AS contacts, count(c.repeat_of) AS repeats,
               count(*) FILTER (c.cross_channel_repeat) AS cross_channel,
               count(*) FILTER (j.self_service_failed) AS self_service_failed,
               list(DISTINCT j.previous_channel || ' → ' || j.channel
                    ORDER BY j.previous_channel || ' → ' || j.channel) FILTER (c.cross_channel_repeat) AS moves
        FROM conversations c LEFT JOIN journeys j USING (call_id)
        WHERE {contact('c.channel')}
        GROUP BY ALL HAVING count(*) FILTER (c.cross_channel_repeat) > 0
        ORDER BY cross_channel DESC, self_service_failed DESC, reason LIMIT ?""", [top])


def journey_summaries(con: duckdb.DuckDBPyConnection, top: int | None = None) -> list[dict]:
    """Per customer with two or more conversations: how many, the channels used, repeats, cross-channel
    repeats, self-service failures, first and last contact; journeys that crossed channels most first."""
    return _rows(con, """
        SELECT customer_id, count(*) AS conversations, count(repeat_of) AS repeats,
               count(*) FILTER (cross_channel_repeat) AS cross_channel,
               count(*) FILTER (self_service_failed) AS self_service_failed,
               list(DISTINCT channel ORDER BY channel) AS channels, min(call_time) AS first, max(call_time) AS last
        FROM journeys GROUP BY customer_id HAVING count(*) > 1
        ORDER BY cross_channel DESC, repeats DESC, conversations DESC, last DESC NULLS LAST, customer_id LIMIT ?""",
                 [top])


def journeys(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    """customer_id -> their conversations (the `journeys` view's rows), in time order."""
    found: dict[str, list[dict]] = {}
    for row in _rows(con, "SELECT * FROM journeys ORDER BY customer_id, step", []):
        found.setdefault(row["customer_id"], []).append(row)
    return found
