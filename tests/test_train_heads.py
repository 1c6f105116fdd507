"""The heads' contact-centre training data and its weighting (callscope/nlp/train_heads.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from callscope.nlp.heads import load_head
from callscope.nlp.train_heads import DOMAIN, DOMAIN_WEIGHT, domain_utterances, fit_head, predict_arrays, with_domain

pytestmark = pytest.mark.slow     # loads text models (embedders, heads) or builds a large corpus

ROOT = Path(__file__).resolve().parents[1]


def words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", text.lower()))


def evaluation_texts() -> list[str]:
    """Every sentence the sentiment and emotion figures are measured on: the benchmark sets,
    the test fixtures and the sample calls' dialogues."""
    texts = []
    sets = [ROOT / "benchmarks" / "data" / f"{name}.jsonl"
            for name in ("cs_sentiment", "cs_replies", "cs_closings", "cs_emotion", "cs_calls_dev", "cs_calls")]
    for path in sets + sorted((ROOT / "tests" / "fixtures").glob("sentiment_cs_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            texts += [turn["text"] for turn in row.get("turns", [])] + ([row["text"]] if "text" in row else [])
    for call in yaml.safe_load((ROOT / "sample_audio" / "dialogues.yaml").read_text())["calls"]:
        texts += [text for turn in call["turns"] for key, text in turn.items() if key in ("A", "B")]
    return texts


def test_training_utterances_are_labelled_with_the_heads_classes():
    rows = domain_utterances(DOMAIN, None)
    assert len(rows) >= 1000
    assert {r["lang"] for r in rows} == {"en", "fr"}
    assert {r["sentiment"] for r in rows} == set(load_head("sentiment_en").classes)
    assert {r["emotion"] for r in rows} == set(load_head("emotion_en").classes)
    assert len({r["text"].strip().lower() for r in rows}) == len(rows), "duplicate training sentences"
    assert len(domain_utterances(DOMAIN, {"fr"})) < len(rows)


def test_no_training_utterance_repeats_an_evaluation_sentence():
    """Near copies (70% of their words shared) of any evaluated sentence were left out of the
    training file; this keeps it so."""
    held_out = {words(t) for t in evaluation_texts()}
    assert len(held_out) > 1000
    close = [r["text"] for r in domain_utterances(DOMAIN, None)
             for h in [words(r["text"])] if any(len(h & e) >= 0.7 * len(h | e) for e in held_out)]
    assert close == []


@pytest.mark.parametrize("heavy", ["x", "y"])
def test_item_weights_settle_conflicting_labels(heavy):
    """Points labelled both ways at one place go to the label whose copies weigh more."""
    rng = np.random.default_rng(0)
    left, right, top = (rng.normal(centre, 0.1, (40, 2)) for centre in ([-2, 0], [2, 0], [0, 3]))
    x = np.vstack([left, right, top, top])
    labels = ["x"] * 40 + ["y"] * 40 + ["x"] * 40 + ["y"] * 40
    weight = np.ones(160)
    weight[slice(80, 120) if heavy == "x" else slice(120, 160)] = 5.0
    head = fit_head(x, labels, ["x", "y"], ("none",), {"hidden": (), "epochs": 40}, members=1,
                    item_weight=weight)
    found = predict_arrays(head, np.array([[0.0, 3.0], [-2.0, 0.0], [2.0, 0.0]])).argmax(axis=1)
    assert ["xy"[i] for i in found] == [heavy, "x", "y"]


def test_domain_items_come_after_the_general_ones():
    assert with_domain(3, 2).tolist() == [1, 1, 1, DOMAIN_WEIGHT, DOMAIN_WEIGHT]
