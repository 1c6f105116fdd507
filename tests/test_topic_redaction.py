"""Topic words are redacted: keywords, label and quote built from customer speech never carry personal
data into topics.json, the store or the reports (docs/topics.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from callscope.corpus.topics import Topic, TopicModel, _write_store, redact_topic
from callscope.reports.selection import open_selection
from callscope.store import Store
from tests.fixtures.synthetic_corpus import build_store

EMAIL, PHONE = "helen.marsh@example.net", "07700 900123"


def leaky(topic_id: int = 0) -> Topic:
    keywords = ["refund", EMAIL, "refund card", f"call {PHONE}", "parcel"]
    return Topic(topic_id=topic_id, label=f"refund, {EMAIL}, card", keywords=keywords,
                 representative=f"my email is {EMAIL} and I want my refund", centroid=np.ones(4, np.float32) / 2)


def clean_words(*texts: str) -> bool:
    return not any(secret in text for text in texts for secret in (EMAIL, PHONE, "helen", "900123"))


def test_keywords_with_personal_data_are_dropped_and_the_label_made_again():
    topic = redact_topic(leaky())
    assert topic.keywords == ["refund", "refund card", "parcel"]
    assert topic.label == "refund, refund card, parcel"
    assert topic.representative == "my email is [EMAIL] and I want my refund"
    assert redact_topic(topic) == topic                          # clean topics stay as they are


def test_a_state_written_before_redaction_is_cleaned_on_load_and_in_the_store(tmp_path: Path):
    TopicModel("minilm", [leaky()], next_topic_id=1).save(tmp_path / "topics")
    model = TopicModel.load(tmp_path / "topics")
    assert clean_words(model.topics[0].label, *model.topics[0].keywords, model.topics[0].representative)
    with Store(tmp_path / "out") as store:
        _write_store(store.con, model, {})
        label, keywords, quote = store.con.execute("SELECT label, keywords, representative FROM topics").fetchone()
    assert clean_words(label, keywords, quote) and keywords == "refund, refund card, parcel"


def test_reports_redact_topic_words_of_an_older_store(tmp_path: Path):
    path = build_store(tmp_path / "callscope.duckdb", n=10, seed=4)
    with Store(path) as store:
        store.con.execute("DELETE FROM topics")
        store.con.execute("INSERT INTO topics VALUES (0, ?, ?, ?, 3, NULL)",
                          [f"refund, {EMAIL}", f"refund, call {PHONE}", f"write to {EMAIL}"])
    con = open_selection(path)
    label, keywords, quote = con.execute("SELECT label, keywords, representative FROM topics").fetchone()
    con.close()
    assert clean_words(label, keywords, quote) and label == "refund, [EMAIL]"
