"""Journeys across channels in the store: repeats that cross channels, resolution in one contact, survey
verbatims kept out of the contacts, surveyed vs predicted satisfaction per reason, and the exports."""

from __future__ import annotations

import duckdb
import pytest

from callscope.corpus.journeys import cross_channel_by_reason, journey_summaries, journeys
from callscope.corpus.repeats import link_repeats, repeat_shares
from callscope.corpus.satisfaction import surveys_by_reason
from callscope.pii.call_ids import private_customer_id
from callscope.store import Store
from tests.fixtures.mixed_channels import HOSTILE_CUSTOMER, build_mixed_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build_mixed_store(tmp_path_factory.mktemp("mixed"))


def column(store_path, name: str) -> dict:
    with Store(store_path, read_only=True) as opened:
        return dict(opened.con.execute(f"SELECT call_id, {name} FROM conversations").fetchall())


def test_repeats_cross_channels_and_survey_verbatims_are_no_contacts(store):
    assert column(store, "repeat_of") == {"a1": None, "a2": "a1", "a3": None, "a4": None, "b1": None, "b2": "b1",
                                          "c1": None, "h1": None}
    assert column(store, "cross_channel_repeat") == {"a1": None, "a2": True, "a3": None, "a4": None, "b1": None,
                                                     "b2": False, "c1": None, "h1": None}


def test_resolution_in_one_contact_is_known_once_the_window_has_passed(store):
    # a1 and b1 were followed by a repeat; a2, b2 and h1 were not, and 7 days passed before the latest contact
    # (a4, day 20), whose own window is still open; c1 has no customer id; a3 is a survey verbatim.
    assert column(store, "resolved_first_contact") == {"a1": False, "a2": True, "a3": None, "a4": None,
                                                       "b1": False, "b2": True, "c1": None, "h1": True}


def test_a_survey_verbatim_is_never_a_repeat_nor_the_contact_repeated(tmp_path):
    path = build_mixed_store(tmp_path)
    with Store(path) as opened:
        assert link_repeats(opened, 1) == 1                      # a2, one day after a1; b2 is two days after b1
        assert link_repeats(opened, 30) == 3                     # a2, b2, and a4 (19 days after a2)
        links = dict(opened.con.execute("SELECT call_id, repeat_of FROM conversations").fetchall())
    assert links["a4"] == "a2" and links["a3"] is None           # the verbatim a3 (day 1.5) is skipped


def test_the_journeys_view_orders_each_customer_across_channels(store):
    with Store(store, read_only=True) as opened:
        found = journeys(opened.con)
    alice = found["alice@example.com"]
    assert [(s["step"], s["call_id"], s["channel"]) for s in alice] == [
        (1, "a1", "chat"), (2, "a2", "voice"), (3, "a3", "survey"), (4, "a4", "email")]
    assert [s["self_service_failed"] for s in alice] == [False, True, False, False]
    assert alice[1]["previous_channel"] == "chat" and alice[1]["previous_reason"] == "app_help"
    assert [s["self_service_failed"] for s in found["C-002"]] == [False, False]   # voice after voice
    assert None not in found and HOSTILE_CUSTOMER in found


def test_reasons_and_customers_with_the_most_cross_channel_repeats(store):
    with Store(store, read_only=True) as opened:
        by_reason = cross_channel_by_reason(opened.con)
        customers = journey_summaries(opened.con)
        shares = {row["reason"]: row for row in repeat_shares(opened)}
    assert by_reason == [{"reason": "app_help", "family": "selfcare", "contacts": 2, "repeats": 1,
                          "cross_channel": 1, "self_service_failed": 1, "moves": ["chat → voice"]}]
    assert [(c["customer_id"], c["conversations"], c["cross_channel"]) for c in customers] == [
        ("alice@example.com", 4, 1), ("C-002", 2, 0)]
    assert customers[0]["channels"] == ["chat", "email", "survey", "voice"]
    assert shares["app_help"]["calls"] == 2                    # the survey verbatim about app help is no contact


def test_surveyed_nps_and_csat_per_reason_next_to_the_predicted_rest(store):
    with Store(store, read_only=True) as opened:
        found = {row["reason"]: row for row in surveys_by_reason(opened.con)}
        predicted = dict(opened.con.execute("SELECT call_id, predicted_csat FROM conversations").fetchall())
    app = found["app_help"]          # a2 (after a voice call) and a3 (the verbatim itself) were surveyed; a1 not
    assert (app["surveyed"], app["with_csat"], app["with_nps"], app["unsurveyed"]) == (2, 2, 2, 1)
    assert app["csat"] == pytest.approx(1.5) and app["nps"] == pytest.approx(-100.0)
    assert app["predicted_csat"] == pytest.approx(predicted["a1"])
    parcel = found["parcel_late"]    # b1 surveyed (promoter); b2 and c1 not
    assert (parcel["surveyed"], parcel["nps"], parcel["csat"], parcel["unsurveyed"]) == (1, 100.0, 5.0, 2)
    assert parcel["predicted_csat"] == pytest.approx((predicted["b2"] + predicted["c1"]) / 2)
    assert found["billing_error"]["surveyed"] == 0 and found["billing_error"]["nps"] is None
    assert sum(r["surveyed"] + r["unsurveyed"] for r in found.values()) == 8   # 7 contacts + the surveyed verbatim


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_exports_hold_the_channel_and_the_journeys(store, tmp_path, fmt):
    with Store(store, read_only=True) as opened:
        files = {path.stem: path for path in opened.export(tmp_path, fmt)}
    def read(path):
        with duckdb.connect() as con:
            return con.execute(f"SELECT * FROM read_{fmt}(?)", [str(path)]).df()

    conversations = read(files["conversations"]).set_index("call_id")
    assert conversations.loc["a2", "channel"] == "voice" and conversations.loc["a3", "channel"] == "survey"
    assert bool(conversations.loc["a2", "cross_channel_repeat"]) is True
    journey = read(files["journeys"])
    assert list(journey[journey.customer_id == "alice@example.com"].call_id) == ["a1", "a2", "a3", "a4"]


def test_a_store_written_before_journeys_gains_the_columns_and_the_view(tmp_path):
    path = build_mixed_store(tmp_path)
    with duckdb.connect(str(path)) as con:         # as an older version left it
        con.execute("DROP VIEW journeys")
        con.execute("ALTER TABLE conversations DROP COLUMN cross_channel_repeat")
        con.execute("ALTER TABLE conversations DROP COLUMN resolved_first_contact")
    with Store(path) as opened:
        assert {"cross_channel_repeat", "resolved_first_contact"} <= set(opened.columns("conversations"))
        assert opened.scalar("SELECT count(*) FROM journeys") == 7


def test_customer_ids_hash_to_one_stable_id():
    assert private_customer_id("alice@example.com") == private_customer_id("alice@example.com")
    assert private_customer_id("alice@example.com").startswith("customer-")
    assert "alice" not in private_customer_id("alice@example.com") and private_customer_id(None) is None
    assert private_customer_id("C-002") != private_customer_id("C-003")
