"""`callscope eval sentiment|emotion|reasons`: shared figures, JSONL errors, the CLI on the real models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from callscope.cli import app
from callscope.errors import CallscopeError
from callscope.evaluation.classification import figures, read_labelled
from callscope.nlp.heads import Classifier
from callscope.nlp.opinions import OpinionAdjusted, OpinionModel
from callscope.nlp.taxonomy import DEFAULT_TAXONOMY, load_taxonomy

pytestmark = pytest.mark.slow     # loads text models (embedders, heads) or builds a large corpus

SENTIMENT = [
    ("Thank you so much, you've been wonderful.", "positive"),
    ("That's brilliant news, I'm really pleased.", "positive"),
    ("Merci beaucoup, c'est parfait.", "positive"),
    ("This is a disgrace, I'm absolutely furious.", "negative"),
    ("I'm so disappointed, nothing ever works.", "negative"),
    ("C'est honteux, je suis très en colère.", "negative"),
    ("My account number is in the letter.", "neutral"),
    ("I'm calling about an order.", "neutral"),
]
runner = CliRunner()


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def test_figures_by_hand():
    labels = ["a", "a", "a", "b", "b", "c"]
    predicted = ["a", "a", "b", "b", "c", "c"]
    found = figures(labels, predicted)
    assert found["n"] == 6 and found["accuracy"] == pytest.approx(4 / 6)
    # F1: a 2*1*(2/3)/(5/3) = 0.8; b 2*(1/2)*(1/2) = 0.5; c 2*(1/2)*1/(3/2) = 2/3
    assert found["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert found["per_class"]["c"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3), "support": 1}
    assert found["confusion"] == {"labels": ["a", "b", "c"], "matrix": [[2, 1, 0], [0, 1, 1], [0, 0, 1]]}
    assert found["top_confusions"] == [{"label": "a", "predicted": "b", "count": 1},
                                       {"label": "b", "predicted": "c", "count": 1}]
    # A predicted label never true (e.g. unknown) is a column, and not part of the macro average.
    found = figures(["a", "b"], ["a", "unknown"])
    assert found["confusion"]["labels"] == ["a", "b", "unknown"] and found["macro_f1"] == pytest.approx(0.5)


def test_bad_jsonl_lines_name_file_and_line(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"text": "fine", "label": "neutral"}\n\n{"text": 3, "label": "neutral"}\n', encoding="utf-8")
    with pytest.raises(CallscopeError, match=r"data.jsonl: line 3: needs a text field 'text'"):
        read_labelled(path)
    path.write_text('{"text": "fine", "label": "happy"}\n', encoding="utf-8")
    with pytest.raises(CallscopeError, match=r"line 1: label 'happy' is not one of negative, neutral, positive"):
        read_labelled(path, allowed=["negative", "neutral", "positive"])
    with pytest.raises(CallscopeError, match="missing.jsonl: file not found"):
        read_labelled(tmp_path / "missing.jsonl")


def test_eval_sentiment_json_matches_the_classifier(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", [{"utterance": t, "gold": y} for t, y in SENTIMENT])
    result = runner.invoke(app, ["eval", "sentiment", "--data", str(path), "--text-field", "utterance",
                                 "--label-field", "gold", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)          # exactly one JSON object
    texts, gold = [t for t, _ in SENTIMENT], [y for _, y in SENTIMENT]
    heads = Classifier("sentiment")
    adjusted = OpinionAdjusted(heads, OpinionModel(load_taxonomy(DEFAULT_TAXONOMY)), 0.5)
    assert found == {**figures(gold, adjusted.predict(texts)[0]), "model": "heads", "opinion_weight": 0.5}
    assert found["accuracy"] >= 0.75           # clear-cut sentences
    alone = runner.invoke(app, ["eval", "sentiment", "--data", str(path), "--text-field", "utterance",
                                "--label-field", "gold", "--no-opinions", "--json"])
    assert json.loads(alone.stdout) == {**figures(gold, heads.predict(texts)[0]), "model": "heads"}


def test_eval_emotion_table_and_errors(tmp_path):
    rows = [{"text": "I'm furious, you people are useless!", "label": "anger"},
            {"text": "Thank you, I'm absolutely delighted!", "label": "joy"},
            {"text": "Je suis tellement contente, merci !", "label": "joy"}]
    path = write_jsonl(tmp_path / "e.jsonl", [{"said": row["text"], "gold": row["label"]} for row in rows])
    config = tmp_path / "my.yaml"
    config.write_text("enrich:\n  emotion_model: /nowhere\n")        # --model wins over the config
    result = runner.invoke(app, ["eval", "emotion", "--data", str(path), "--text-field", "said", "--label-field", "gold",
                                 "--model", "heads", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "Confusion" in result.stdout and "macro-F1" in result.stdout and "n 3" in result.stdout
    result = runner.invoke(app, ["eval", "sentiment", "--data", str(path), "--config", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2 and "none.yaml: config file not found" in result.stderr

    path.write_text(json.dumps(rows[0]) + "\n{not json\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "emotion", "--data", str(path), "--json"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == f"error: {path}: line 2: not valid JSON"
    result = runner.invoke(app, ["eval", "sentiment", "--data", str(path), "--model", str(tmp_path / "none")])
    assert result.exit_code == 3 and "directory not found" in result.stderr


def test_eval_reasons_uses_the_shared_figures(tmp_path):
    rows = [{"text": "where is my parcel, it still hasn't come", "label": "parcel_late"},
            {"text": "I'd like to reset my password", "label": "password_reset"},
            {"text": "what's the capital of Peru", "label": "oos"}]
    path = write_jsonl(tmp_path / "r.jsonl", rows)
    result = runner.invoke(app, ["eval", "reasons", "--data", str(path), "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert (found["n"], found["n_in_scope"], found["n_out_of_scope"]) == (3, 2, 1)
    assert set(found["per_class"]) >= {"parcel_late", "password_reset"} and found["confusion"]["labels"]
    path = write_jsonl(tmp_path / "r2.jsonl", [{"said": row["text"], "gold": row["label"]} for row in rows])
    result = runner.invoke(app, ["eval", "reasons", "--data", str(path), "--text-field", "said", "--label-field", "gold",
                                 "--taxonomy", str(DEFAULT_TAXONOMY)])
    text = " ".join(result.stdout.split())     # the table and line are wrapped to the terminal
    assert result.exit_code == 0 and "out of scope: 1," in text and "Per class" in text
