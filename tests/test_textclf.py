"""A transformers text-classification model as the sentiment or emotion model: a tiny BERT
built and saved by the test, loaded offline by path."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

from callscope.config import Settings
from callscope.errors import ConfigError, ModelError
from callscope.nlp.heads import HEADS_DIR, Classifier
from callscope.nlp.textclf import TextClassifier, label_map, load_text_classifier

pytestmark = pytest.mark.slow     # loads text models (embedders, heads) or builds a large corpus

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "parcel", "was", "late", "great", "service"]
TEXTS = ["the parcel was late", "great service", "the service was great", "unknown words here"]


def tiny_model(path: Path, labels: list[str], bias: list[float] | None = None) -> Path:
    """A 1-layer BERT classifier with these labels; `bias` makes its output predictable."""
    path.mkdir()
    (path / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    config = BertConfig(vocab_size=len(VOCAB), hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=32, num_labels=len(labels),
                        id2label=dict(enumerate(labels)), label2id={label: i for i, label in enumerate(labels)})
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    if bias is not None:
        with torch.no_grad():
            model.classifier.weight.zero_()
            model.classifier.bias.copy_(torch.tensor(bias))
    model.save_pretrained(path)
    BertTokenizerFast(vocab_file=str(path / "vocab.txt")).save_pretrained(path)
    return path


def test_sentiment_model_by_path(tmp_path):
    path = tiny_model(tmp_path / "sst", ["NEG", "NEU", "POS"], bias=[0.0, 1.0, 3.0])
    classifier = load_text_classifier("sentiment", str(path))
    assert isinstance(classifier, TextClassifier)
    assert classifier.classes == ["negative", "neutral", "positive"]
    labels, probs = classifier.predict(TEXTS)
    expected = np.exp([0.0, 1.0, 3.0]) / np.exp([0.0, 1.0, 3.0]).sum()
    assert labels == ["positive"] * len(TEXTS)
    np.testing.assert_allclose(probs, np.tile(expected, (len(TEXTS), 1)), atol=1e-5)
    labels, probs = classifier.predict([])
    assert labels == [] and probs.shape == (0, 3)


def test_probabilities_match_the_model_and_batches(tmp_path):
    path = tiny_model(tmp_path / "random", ["negative", "neutral", "positive"])
    classifier = TextClassifier("sentiment", str(path), batch_size=3)
    _, probs = classifier.predict(TEXTS)
    batch = classifier.tokenizer(TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        direct = torch.softmax(classifier.model(**batch).logits, -1).numpy()
    np.testing.assert_allclose(probs, direct, atol=1e-5)
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)


def test_star_ratings_add_up_into_our_labels(tmp_path):
    stars = ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]
    path = tiny_model(tmp_path / "stars", stars, bias=[2.0, 2.0, 0.0, 1.0, 0.5])
    _, probs = load_text_classifier("sentiment", str(path)).predict(["great service"])
    p = np.exp([2.0, 2.0, 0.0, 1.0, 0.5]) / np.exp([2.0, 2.0, 0.0, 1.0, 0.5]).sum()
    np.testing.assert_allclose(probs[0], [p[0] + p[1], p[2], p[3] + p[4]], atol=1e-5)


def test_emotion_labels_by_name_and_by_mapping(tmp_path):
    names = ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]
    path = tiny_model(tmp_path / "emotion", names, bias=[0, 0, 0, 5, 0, 0, 0])
    classifier = load_text_classifier("emotion", str(path))
    assert classifier.classes == ["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"]
    assert classifier.predict(["great service"])[0] == ["joy"]

    generic = tiny_model(tmp_path / "generic", ["LABEL_0", "LABEL_1"], bias=[0.0, 2.0])
    with pytest.raises(ConfigError) as err:
        load_text_classifier("sentiment", str(generic))
    message = str(err.value)
    assert str(generic) in message and "'LABEL_0', 'LABEL_1'" in message and "sentiment_labels" in message
    mapped = load_text_classifier("sentiment", str(generic), {"LABEL_0": "negative", "LABEL_1": "positive"})
    labels, probs = mapped.predict(["the parcel was late"])
    assert labels == ["positive"] and probs[0, 1] == 0.0   # a two-label model never says neutral


def test_bad_mappings_and_missing_models(tmp_path):
    with pytest.raises(ConfigError, match="'good', not one of negative, neutral, positive"):
        label_map("sentiment", ["LABEL_0"], {"LABEL_0": "good"}, "my-model")
    with pytest.raises(ModelError, match="sentiment model ./nowhere: directory not found"):
        load_text_classifier("sentiment", "./nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="cannot load it as a text classifier"):
        load_text_classifier("emotion", str(tmp_path / "empty"))
    with pytest.raises(ModelError, match="someone/not-a-cached-model"):  # HF_HUB_OFFLINE: nothing downloaded
        load_text_classifier("sentiment", "someone/not-a-cached-model")


def test_heads_are_the_default():
    assert (Settings().enrich.sentiment_model, Settings().enrich.emotion_model) == ("heads", "heads")
    assert isinstance(load_text_classifier("sentiment", "heads"), Classifier)


def test_retrained_heads_by_folder(tmp_path):
    """A folder written by `python -m callscope.nlp.train_heads --out DIR` (here: a copy of the bundled
    heads) is loaded from there and verified against its own manifest."""
    for path in HEADS_DIR.iterdir():
        shutil.copy(path, tmp_path / path.name)
    custom = load_text_classifier("emotion", str(tmp_path))
    assert isinstance(custom, Classifier) and custom.en.path == tmp_path / "emotion_en.npz"
    texts = ["Thank you so much, that's brilliant!", "Je suis furieux, c'est la troisième fois."]
    np.testing.assert_allclose(custom.predict(texts)[1], load_text_classifier("emotion").predict(texts)[1])
    (tmp_path / "sentiment_multi.npz").write_bytes(b"not a head")
    with pytest.raises(ModelError, match="sentiment_multi.npz: sha256 does not match"):
        load_text_classifier("sentiment", str(tmp_path))
