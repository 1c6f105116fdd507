"""Trends over a generated 2,000-call store: volumes, events, and a surge found as an emerging issue."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from callscope.corpus.trends import emerging, events, period_start, volumes
from callscope.store import Store
from tests.fixtures.synthetic_corpus import build_store

pytestmark = pytest.mark.slow     # loads text models (embedders, heads) or builds a large corpus

SURGE = "billing_error"


@pytest.fixture(scope="module")
def surged(tmp_path_factory):
    """2,000 calls over 12 weeks; billing_error three times as likely in the last week."""
    folder = tmp_path_factory.mktemp("trends")
    build_store(folder, n=2000, seed=0, surge_reason=SURGE)
    with Store(folder, read_only=True) as store:
        yield store.con


def test_surge_is_emerging_and_stable_reasons_are_not(surged):
    found = emerging(surged)
    assert [(i["kind"], i["key"]) for i in found] == [("reason", SURGE)]
    issue = found[0]
    assert issue["period"] == date(2026, 11, 16) and issue["baseline_start"] == date(2026, 10, 19)
    assert issue["count"] >= 10 and issue["lift"] >= 1.5 and issue["q_value"] <= 0.05
    assert issue["share"] == issue["count"] / issue["total"]
    in_week = dict(surged.execute("SELECT call_id, reason FROM conversations WHERE call_date >= ?",
                                  [issue["period"]]).fetchall())
    assert len(issue["examples"]) == 3
    assert all(in_week.get(e["call_id"]) == SURGE and e["quote"] for e in issue["examples"])

    loose = emerging(surged, alpha=1.0, min_count=1, min_lift=1.0)      # every candidate that rose at all
    by_chance = [i for i in loose if i["key"] != SURGE]
    assert len(by_chance) >= 5 and all(i["q_value"] > 0.05 for i in by_chance)


def test_no_surge_no_issue(tmp_path):
    build_store(tmp_path, n=2000, seed=0, survey_share=0, events=False)
    with Store(tmp_path, read_only=True) as store:
        assert emerging(store.con) == []


def test_weekly_volumes_add_up(surged):
    calls_per_week = dict(surged.execute(
        "SELECT date_trunc('week', call_date)::DATE, count(*) FROM conversations GROUP BY 1").fetchall())
    for by in ("reason", "family", "topic", "aspect"):
        rows = volumes(surged, by=by, period="week")
        per_week = defaultdict(int)
        for row in rows:
            assert row["period"].weekday() == 0 and row["total"] == calls_per_week[row["period"]]
            assert row["share"] == row["count"] / row["total"]
            per_week[row["period"]] += row["count"]
        if by in ("reason", "family"):      # every call has exactly one
            assert dict(per_week) == calls_per_week
        elif by == "topic":                 # no topic modelled in this store
            assert rows == []
        else:
            assert all(0 <= row["negative"] <= row["count"] <= row["total"] for row in rows)
    days = volumes(surged, by="reason", period="day")
    assert sum(r["count"] for r in days) == 2000


def test_events_come_with_their_period(surged):
    found = events(surged, period="week")
    assert [e["kind"] for e in found] == ["campaign", "price_change", "outage"]
    assert all(e["period"] == period_start(e["event_date"], "week") for e in found)
    with pytest.raises(ValueError, match="period"):
        volumes(surged, period="fortnight")
