"""Repeat contacts: the same customer again within N days, by any channel, and the share of repeats per reason.

A contact is a repeat when the same customer id made another contact at most `days` days
before it; `conversations.repeat_of` points to that previous contact, `cross_channel_repeat`
says whether it came by another channel (a chat, then a call: failure demand that crossed
channels). A contact is resolved in one contact (`resolved_first_contact`) when no repeat
followed it within the window; unknown (NULL) while the window is still open at the store's
latest contact, or without a customer id. Survey verbatims (channel `survey`) are feedback, not
contacts: they are neither repeats nor repeated. Per reason, the share of contacts followed by a
repeat is a first-contact-resolution proxy: FCR ~ 1 - share.
"""

from __future__ import annotations

from typing import Literal

from callscope.store import Store
from callscope.store.views import contact


def link_repeats(store: Store, days: int) -> int:
    """Set `repeat_of`, `cross_channel_repeat` and `resolved_first_contact` for every stored conversation;
    returns how many are repeats."""
    with store.transaction() as con:
        con.execute("UPDATE conversations SET repeat_of = NULL, cross_channel_repeat = NULL, "
                    "resolved_first_contact = NULL")
        con.execute(f"""
            WITH ordered AS (
                SELECT call_id, call_time, coalesce(channel, 'voice') AS channel,
                       lag(call_id) OVER w AS previous_id, lag(call_time) OVER w AS previous_time,
                       lag(coalesce(channel, 'voice')) OVER w AS previous_channel,
                       lead(call_time) OVER w AS next_time, max(call_time) OVER () AS latest
                FROM conversations
                WHERE customer_id IS NOT NULL AND call_time IS NOT NULL AND {contact()}
                WINDOW w AS (PARTITION BY customer_id ORDER BY call_time, call_id)),
            linked AS (
                SELECT *, previous_id IS NOT NULL AND call_time - previous_time <= to_days($days) AS repeat
                FROM ordered)
            UPDATE conversations
            SET repeat_of = CASE WHEN repeat THEN previous_id END,
                cross_channel_repeat = CASE WHEN repeat THEN previous_channel <> linked.channel END,
                resolved_first_contact = CASE WHEN next_time - linked.call_time <= to_days($days) THEN FALSE
                                              WHEN linked.call_time + to_days($days) <= latest THEN TRUE END
            FROM linked
            WHERE conversations.call_id = linked.call_id""", {"days": days})
    return store.scalar("SELECT count(*) FROM conversations WHERE repeat_of IS NOT NULL")


def repeat_shares(store: Store, by: Literal["reason", "family"] = "reason") -> list[dict]:
    """Per reason (or family): contacts, repeats among them, contacts followed by a repeat, and the FCR proxy.

    `repeat_share` = contacts that are repeats / contacts; `followed_share` = contacts the same customer
    contacted again about within the window / contacts; `fcr` = 1 - followed_share. Largest first.
    """
    column = {"reason": "c.reason", "family": "c.family"}[by]
    rows = store.con.execute(f"""
        SELECT coalesce({column}, 'unknown') AS key, count(*) AS calls,
               count(c.repeat_of) AS repeats,
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM conversations n WHERE n.repeat_of = c.call_id)) AS followed
        FROM conversations c WHERE {contact()} GROUP BY key ORDER BY calls DESC, key""").fetchall()
    return [{by: key, "calls": calls, "repeats": repeats, "repeat_share": repeats / calls,
             "followed": followed, "followed_share": followed / calls, "fcr": 1 - followed / calls}
            for key, calls, repeats, followed in rows]
