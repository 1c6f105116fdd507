"""One page per customer: their conversations in time order across channels, with the repeats marked."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb

from callscope.corpus.journeys import journeys


def journey_contexts(con: duckdb.DuckDBPyConnection) -> Iterator[dict]:
    """The context of every selected customer's journey page (customer ids as the selection shows them)."""
    for customer_id, steps in journeys(con).items():
        contacts = [s for s in steps if s["channel"] != "survey"]
        yield {
            "customer_id": customer_id,
            "steps": steps,
            "channels": list(dict.fromkeys(s["channel"] for s in steps)),
            "contacts": len(contacts),
            "repeats": sum(s["repeat_of"] is not None for s in contacts),
            "cross_channel": sum(bool(s["cross_channel_repeat"]) for s in contacts),
            "self_service_failed": sum(s["self_service_failed"] for s in contacts),
        }
