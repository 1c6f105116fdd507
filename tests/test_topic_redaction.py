"""Topic words are redacted: keywords, label and quote built from customer speech never carry personal
data into topics.json, the store or the reports (docs/topics.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from callscope.corpus.topics import Document, Topic, TopicModel, _quotes, _write_store, redact_topic
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


def test_the_quotes_of_all_new_topics_are_embedded_in_one_batch():
    """Each group's quote is its utterance (of 4 words or more, when any is) nearest its centroid."""
    class Axes:
        """Embeds a text on the axis of its first word: one call recorded per encode."""

        def __init__(self):
            self.calls: list[list[str]] = []

        def encode(self, texts):
            self.calls.append(list(texts))
            return np.array([[t.startswith("parcel"), t.startswith("refund")] for t in texts], np.float32)

    groups = [[Document("a", ("refund please now thanks", "parcel never came to me", "ok"))],
              [Document("b", ("refund not paid back yet", "parcel is fine really now"))], [Document("c", ("",))]]
    embedder = Axes()
    quotes = _quotes(groups, [np.array([1, 0], np.float32), np.array([0, 1], np.float32), np.ones(2)], embedder)
    assert quotes == ["parcel never came to me", "refund not paid back yet", ""]
    assert len(embedder.calls) == 1
