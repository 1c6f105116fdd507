"""Views over the store's tables, defined once: the store keeps them in its file, and reports build them
over their selection of calls (callscope/reports/selection.py) from the same SQL. Also what counts as a
contact (every conversation but a survey verbatim)."""

from __future__ import annotations

DIGITAL_CHANNELS = ("chat", "email")    # where a customer can help themselves before calling


def contact(channel: str = "channel") -> str:
    """SQL condition: the conversation is a contact; a survey verbatim (channel 'survey') is feedback, not one."""
    return f"coalesce({channel}, 'voice') <> 'survey'"


# One row per conversation of a known customer, in time order: the customer's journey across channels.
# `self_service_failed`: a repeat by voice, for the same reason, of a chat or e-mail contact.
JOURNEYS = f"""
SELECT c.customer_id, row_number() OVER (PARTITION BY c.customer_id ORDER BY c.call_time, c.call_id) AS step,
       c.call_id, c.call_time, coalesce(c.channel, 'voice') AS channel, c.reason, c.family, c.sentiment,
       c.predicted_csat, c.repeat_of,
       CASE WHEN p.call_id IS NOT NULL THEN coalesce(p.channel, 'voice') END AS previous_channel,
       p.reason AS previous_reason,
       c.cross_channel_repeat, c.resolved_first_contact,
       coalesce(c.cross_channel_repeat AND coalesce(c.channel, 'voice') = 'voice'
                AND p.channel IN {DIGITAL_CHANNELS} AND p.reason = c.reason, FALSE) AS self_service_failed
FROM conversations c LEFT JOIN conversations p ON p.call_id = c.repeat_of
WHERE c.customer_id IS NOT NULL"""

VIEWS = {"journeys": JOURNEYS}
