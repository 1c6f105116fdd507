"""Listen across channels: the reason mix per channel, the reasons that move between channels, the
journeys that crossed them, and surveyed satisfaction per reason next to the predicted one.

Survey verbatims (channel `survey`) are feedback, not contacts: they stay out of the reason mix and
count, with their scores, in the survey table only.
"""

from __future__ import annotations

import duckdb

from callscope.config import Settings
from callscope.corpus.journeys import cross_channel_by_reason, journey_summaries
from callscope.corpus.satisfaction import surveys_by_reason
from callscope.reports import charts
from callscope.reports.render import label
from callscope.reports.selection import rows
from callscope.store.views import contact


def channel_mix(con: duckdb.DuckDBPyConnection) -> dict:
    """Contacts per channel and family (chart), per reason and channel (table), the selfcare reasons that
    arrived by voice (self-service failed) and the avoidable reasons per channel."""
    counts = rows(con, f"""
        SELECT coalesce(channel, 'voice') AS channel, coalesce(reason, 'unknown') AS reason,
               coalesce(family, 'unknown') AS family, count(*) AS n
        FROM conversations WHERE {contact()} GROUP BY ALL""")
    per_channel: dict[str, int] = {}
    families: dict[tuple[str, str], int] = {}
    reasons: dict[str, dict] = {}
    for row in counts:
        per_channel[row["channel"]] = per_channel.get(row["channel"], 0) + row["n"]
        families[(row["channel"], row["family"])] = families.get((row["channel"], row["family"]), 0) + row["n"]
        found = reasons.setdefault(row["reason"], {"reason": row["reason"], "family": row["family"], "n": 0,
                                                   "by_channel": {}})
        found["n"] += row["n"]
        found["by_channel"][row["channel"]] = row["n"]
    channels = sorted(per_channel, key=lambda c: (-per_channel[c], c))
    table = sorted(reasons.values(), key=lambda r: (-r["n"], r["reason"]))
    for row in table:
        row["shares"] = {c: row["by_channel"].get(c, 0) / per_channel[c] for c in channels}
    chart_rows = [(c, [(label(f), families[(c, f)]) for f in charts.FAMILY_COLOURS if (c, f) in families],
                   f"{per_channel[c]:,} contacts") for c in channels]
    return {
        "channels": channels,
        "per_channel": per_channel,
        "reasons": table,
        "chart": charts.bar_chart(chart_rows, title="Reason families per channel", normalise=True, width=700,
                                  label_width=90, colours={label(f): c for f, c in charts.FAMILY_COLOURS.items()})
        if chart_rows else None,
        "selfcare_by_voice": [r for r in table if r["family"] == "selfcare" and r["by_channel"].get("voice")],
        "avoidable": [r for r in table if r["family"] == "avoidable"],
    }


def channels_context(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict:
    """What listen.html shows about channels, journeys and surveys."""
    surveys = surveys_by_reason(con)
    verbatims = con.execute(f"SELECT count(*) FROM conversations WHERE NOT {contact()}").fetchall()[0][0]
    return {
        "mix": channel_mix(con),
        "cross_channel": cross_channel_by_reason(con, settings.reports.top),
        "journeys": journey_summaries(con, settings.reports.top),
        "surveys": [r for r in surveys if r["surveyed"]] + [r for r in surveys if not r["surveyed"]],
        "surveyed": sum(r["surveyed"] for r in surveys),
        "verbatims": verbatims,
    }
