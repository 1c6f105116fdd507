"""Repeat contacts: the same customer again within N days, and the share of repeats per reason.

A call is a repeat when the same customer id made another contact at most `days` days
before it; `conversations.repeat_of` points to that previous contact. Per reason, the
share of calls followed by a repeat is a first-contact-resolution proxy: FCR ~ 1 - share.
"""

from __future__ import annotations

from typing import Literal

from callscope.store import Store


def link_repeats(store: Store, days: int) -> int:
    """Set `repeat_of` for every stored call (NULL when not a repeat); returns how many are repeats."""
    with store.transaction() as con:
        con.execute("UPDATE conversations SET repeat_of = NULL WHERE repeat_of IS NOT NULL")
        con.execute("""
            WITH ordered AS (
                SELECT call_id, call_time,
                       lag(call_id) OVER w AS previous_id, lag(call_time) OVER w AS previous_time
                FROM conversations
                WHERE customer_id IS NOT NULL AND call_time IS NOT NULL
                WINDOW w AS (PARTITION BY customer_id ORDER BY call_time, call_id))
            UPDATE conversations SET repeat_of = ordered.previous_id
            FROM ordered
            WHERE conversations.call_id = ordered.call_id AND ordered.previous_id IS NOT NULL
              AND ordered.call_time - ordered.previous_time <= to_days(?)""", [days])
    return store.scalar("SELECT count(*) FROM conversations WHERE repeat_of IS NOT NULL")


def repeat_shares(store: Store, by: Literal["reason", "family"] = "reason") -> list[dict]:
    """Per reason (or family): calls, repeats among them, calls followed by a repeat, and the FCR proxy.

    `repeat_share` = calls that are repeats / calls; `followed_share` = calls the same customer
    contacted again about within the window / calls; `fcr` = 1 - followed_share. Largest first.
    """
    column = {"reason": "c.reason", "family": "c.family"}[by]
    rows = store.con.execute(f"""
        SELECT coalesce({column}, 'unknown') AS key, count(*) AS calls,
               count(c.repeat_of) AS repeats,
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM conversations n WHERE n.repeat_of = c.call_id)) AS followed
        FROM conversations c GROUP BY key ORDER BY calls DESC, key""").fetchall()
    return [{by: key, "calls": calls, "repeats": repeats, "repeat_share": repeats / calls,
             "followed": followed, "followed_share": followed / calls, "fcr": 1 - followed / calls}
            for key, calls, repeats, followed in rows]
