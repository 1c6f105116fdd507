"""The taxonomy's opinion model and the opinion-adjusted sentiment scorer, on the real embedders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from callscope.nlp.heads import Classifier
from callscope.nlp.opinions import OpinionAdjusted, OpinionModel
from callscope.nlp.taxonomy import DEFAULT_TAXONOMY, load_taxonomy

pytestmark = pytest.mark.slow     # loads text models (embedders, heads) or builds a large corpus

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
HELD_OUT = ROOT / "benchmarks" / "data" / "cs_sentiment.jsonl"
# Floors below the accuracy measured with opinion_weight 0.5 on the held-out sentences
# (docs/metrics.md): en 0.917, fr 0.875.
FLOORS = {"en": 0.85, "fr": 0.8}


def labelled(path: Path, lang: str | None = None) -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    rows = [r for r in rows if lang in (None, r.get("lang"))]
    return [r["text"] for r in rows], [r["label"] for r in rows]


def fixture(lang: str) -> tuple[list[str], list[str]]:
    return labelled(FIXTURES / f"sentiment_cs_{lang}.jsonl")


@pytest.fixture(scope="module")
def head() -> Classifier:
    return Classifier("sentiment")


@pytest.fixture(scope="module")
def opinions() -> OpinionModel:
    return OpinionModel(load_taxonomy(DEFAULT_TAXONOMY))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_opinions_lift_customer_service_accuracy_above_the_head(head, opinions, lang):
    """On customer-service sentences neither the heads nor the opinion weight were chosen on."""
    texts, labels = labelled(HELD_OUT, lang)
    adjusted = OpinionAdjusted(head, opinions, 0.5)
    predicted, probs = adjusted.predict(texts)
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)
    accuracy = np.mean([p == y for p, y in zip(predicted, labels)])
    alone = np.mean([p == y for p, y in zip(head.predict(texts)[0], labels)])
    assert accuracy >= FLOORS[lang] and accuracy > alone, (accuracy, alone)


def test_complaints_without_emotive_words_are_found(head, opinions):
    """Factual complaints ("The parcel was late again.") read as neutral by heads trained on tweets
    alone (MODEL_CARD.md) are found, with or without the opinion model."""
    texts, labels = map(list, zip(*[pair for lang in ("en", "fr") for pair in zip(*fixture(lang))]))
    adjusted = OpinionAdjusted(head, opinions, 0.5).predict(texts)[0]
    plain = head.predict(texts)[0]

    def recall(predicted: list[str], cls: str) -> float:
        return np.mean([p == cls for p, y in zip(predicted, labels) if y == cls])

    assert recall(plain, "negative") >= 0.9 and recall(adjusted, "negative") >= 0.9
    assert recall(adjusted, "positive") >= recall(plain, "positive") - 0.05


def test_weight_zero_or_no_opinion_examples_leave_the_classifier_alone(head, opinions, tmp_path):
    texts = ["The parcel was late again.", "Merci, c'est parfait."]
    _, plain = head.predict(texts)
    np.testing.assert_array_equal(OpinionAdjusted(head, opinions, 0.0).predict(texts)[1], plain)
    bare = tmp_path / "taxonomy.yaml"
    bare.write_text("reasons:\n  - {id: other, family: assistance, description: anything, examples: [help me]}\n"
                    "aspects:\n  - {id: delivery, description: delivery, examples: [the parcel]}\n")
    without = OpinionModel(load_taxonomy(bare))
    assert not without.available
    np.testing.assert_array_equal(OpinionAdjusted(head, without, 0.5).predict(texts)[1], plain)


@pytest.mark.parametrize("text, language", [
    ("exceeded my expectation", "en"),
    ("the product itself exceeded my expectation", "en"),
    ("le produit a dépassé mes attentes", "fr"),
])
def test_a_close_paraphrase_of_one_example_takes_its_direction(opinions, text, language):
    """"it exceeded my expectations" is a positive example, yet the average of the examples about
    expectations and products that fall short (the prototypes alone) put "exceeded my expectation"
    on the negative side; its nearest examples put it back on the positive one."""
    blocks = opinions.embed([text])
    assert opinions.directions(blocks, language)[0] > 0.5
