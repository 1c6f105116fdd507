"""Enrich: what each conversation says, from its utterances (before redaction, so the models read
the real words) into `Conversation.analysis`.

Per utterance: sentiment (label and score P(positive) - P(negative)) and emotion, in one
batched call per model. From the customer's utterances: overall sentiment, its trajectory,
the contact reason, aspects and signals. From the whole call: the call metrics (a chat or an
e-mail: the channel metrics). `enrich_many` runs the models over many conversations at once.
Definitions: docs/metrics.md.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Sequence

import numpy as np

from callscope.config import EnrichSettings
from callscope.conversation import Analysis, ContactReason, Conversation, ReasonScore, Utterance
from callscope.nlp.answers import AnswerWordsAside
from callscope.nlp.aspects import AspectAnalyzer
from callscope.nlp.aspects import split_clauses as split_aspect_clauses
from callscope.nlp.embeddings import forget_oldest, get_embedder, remembering
from callscope.nlp.language import detect_language
from callscope.nlp.opinions import OpinionAdjusted, OpinionModel
from callscope.nlp.reasons import DEFAULT_EMBEDDERS, ReasonClassifier
from callscope.nlp.signals import SignalDetector, split_sentences
from callscope.nlp.signals import split_clauses as split_signal_clauses
from callscope.nlp.taxonomy import Taxonomy, load_taxonomy
from callscope.nlp.textclf import load_text_classifier
from callscope.nlp.trajectory import trajectory
from callscope.pipeline.metrics import call_metrics, channel_metrics
from callscope.threads import one_blas_thread, one_torch_thread

TYPED = ("chat", "email", "survey")     # channels written, not spoken: punctuated by their writers
# Texts whose vectors enrich_many keeps from one batch of conversations to the next, per embedder
# (about 3.5 KB each for MiniLM and USE together): a chat's greetings, agent templates and
# closings come back in every batch. Over 2,000 synthetic chats in batches of 256 this left
# 11,799 of 17,352 texts to encode.
REMEMBERED_TEXTS = 20_000
NO_CUSTOMER = "no customer speech identified (roles unknown or one speaker heard): the analysis uses all speech"


def sentences_of(texts: Sequence[str]) -> list[str]:
    return [sentence for text in texts for sentence in split_sentences(text)]


def text_pieces(text: str) -> list[str]:
    """What the reason, signal and aspect stages embed of one utterance: its sentences, their
    clauses (signals.py) and its clauses (aspects.py)."""
    sentences = split_sentences(text)
    return [*sentences, *(c for s in sentences for c in split_signal_clauses(s)),
            *(c.text for c in split_aspect_clauses(text))]


def customer_indices(utterances: Sequence[Utterance]) -> tuple[list[int], bool]:
    """Positions of the customer's utterances, and whether that is all speech for want of a customer."""
    found = [i for i, u in enumerate(utterances) if u.role == "customer"]
    return (found, False) if found else (list(range(len(utterances))), bool(utterances))


def overall_sentiment(scores: np.ndarray, seconds: np.ndarray, negative_weight: float, threshold: float,
                      end: float | None = None, end_weight: float = 0.0) -> tuple[str, float]:
    """Label and score of the customer's whole call: the speech-time weighted mean of the utterance
    scores, negative ones weighted `negative_weight` times more (1: as much as the others), blended
    with the score of the last third of their speech (`end`, the trajectory's) at `end_weight`;
    positive / negative at or beyond +-`threshold`, neutral between (docs/metrics.md)."""
    weights = seconds * np.where(scores < 0, negative_weight, 1.0)
    score = float(weights @ scores / weights.sum())
    if end is not None:
        score = (1 - end_weight) * score + end_weight * end
    label = "positive" if score >= threshold else "negative" if score <= -threshold else "neutral"
    return label, round(score, 3)


@contextmanager
def single_threaded():
    """Run torch and the BLAS libraries on one thread (torch's count is restored afterwards)."""
    with one_torch_thread(), one_blas_thread():
        yield


class Enricher:
    """The text models and settings every call is enriched with: loaded once, shared by the worker
    threads (one call at a time: the models are small and the machine's cores are Whisper's)."""

    def __init__(self, settings: EnrichSettings, taxonomy: Taxonomy | None = None):
        self.settings = settings
        self.taxonomy = taxonomy or load_taxonomy(settings.taxonomy_path())
        # load and verify the classifiers and their feature models now, not on the first call
        classifier = load_text_classifier("sentiment", settings.sentiment_model, settings.sentiment_labels)
        emotion = load_text_classifier("emotion", settings.emotion_model, settings.emotion_labels)
        for model in (classifier, emotion):
            model.predict(["Thank you."])
        self._embedders = [get_embedder(name) for name in DEFAULT_EMBEDDERS]
        opinions = OpinionModel(self.taxonomy, self._embedders)
        # utterances are read without their leading answer words ("No, that's all."): nlp/answers.py
        self.sentiment = AnswerWordsAside(OpinionAdjusted(classifier, opinions, settings.opinion_weight))
        self.emotion = AnswerWordsAside(emotion)
        self.reasons = ReasonClassifier(self.taxonomy, self._embedders)
        self.aspects = AspectAnalyzer(self.taxonomy, classifier, self._embedders, opinions=opinions)
        signals = settings.signals
        self.signals = SignalDetector(signals.phrases, signals.examples, signals.semantic_threshold, self._embedders)
        self._lock = threading.Lock()
        self._vectors: dict[str, dict[str, np.ndarray]] = {}     # enrich_many's, see REMEMBERED_TEXTS

    def enrich(self, conversation: Conversation) -> None:
        """Fill each utterance's sentiment and emotion and `conversation.analysis`, in place.

        The models run on one thread: their batches are small, and one thread was faster than
        two both on an idle machine (0.27 vs 0.45 s per sample call) and beside Whisper.
        """
        with self._lock, single_threaded(), remembering():
            self._enrich(conversation)

    def enrich_many(self, conversations: Sequence[Conversation]) -> None:
        """`enrich` each of many conversations (text ones: a chat has a dozen short messages), the
        models run over all of them at once: sentiment and emotion in one batched call per model and
        language, the sentences and clauses that the reason, signal and aspect stages read encoded
        in one batch per embedder and remembered, then each conversation's analysis from those.
        The last REMEMBERED_TEXTS texts' vectors are kept for the next call (a text's vector
        does not depend on the texts encoded with it, up to rounding). The models run on torch's
        and BLAS's own thread counts here: the batches are large."""
        with self._lock, remembering(self._vectors):
            by_language: dict[str | None, list[Utterance]] = {}
            for conversation in conversations:
                by_language.setdefault(self._language(conversation), []).extend(conversation.utterances)
            for language, utterances in by_language.items():
                self._score_utterances(utterances, language)
            pieces: list[str] = []
            for conversation in conversations:
                utterances = conversation.utterances
                pieces += [piece for i in customer_indices(utterances)[0] for piece in text_pieces(utterances[i].text)]
                pieces += sentences_of([u.text for u in utterances if u.role == "agent"])
            for embedder in self._embedders:
                embedder.encode(list(dict.fromkeys(pieces)))
            for conversation in conversations:
                self._enrich(conversation, scored=True)
            forget_oldest(self._vectors, REMEMBERED_TEXTS)

    def _language(self, conversation: Conversation) -> str | None:
        """The conversation's language, else that of the customer's words."""
        customer, _ = customer_indices(conversation.utterances)
        texts = " ".join(conversation.utterances[i].text for i in customer)
        return conversation.language or (detect_language(texts) if texts else None)

    def _enrich(self, conversation: Conversation, scored: bool = False) -> None:
        utterances = conversation.utterances
        customer, fallback = customer_indices(utterances)
        if fallback and NO_CUSTOMER not in conversation.warnings:
            conversation.warnings.append(NO_CUSTOMER)
        texts = [utterances[i].text for i in customer]
        language = self._language(conversation)
        analysis = Analysis()
        if conversation.channel == "voice":
            analysis.metrics = call_metrics(conversation, self.settings.silence_seconds)
        elif conversation.channel != "survey":
            analysis.channel_metrics = channel_metrics(conversation)
        if utterances:
            if not scored:
                self._score_utterances(utterances, language)
            scores = np.array([utterances[i].sentiment_score for i in customer])
            seconds = np.array([max(utterances[i].speech_seconds(), 0.01) for i in customer])
            analysis.trajectory = trajectory(utterances, customer, self.settings.trajectory_threshold)
            analysis.sentiment, analysis.sentiment_score = overall_sentiment(
                scores, seconds, self.settings.negative_weight, self.settings.sentiment_threshold,
                analysis.trajectory.end, self.settings.end_weight)
            agent = [] if fallback else [u.text for u in utterances if u.role == "agent"]
            analysis.reason = self._reason(texts, agent, language)
            if fallback:    # all speech was read: whose words gave the reason is not known
                analysis.reason.stated_by = None
            analysis.aspects = self.aspects.analyse(utterances, customer, language,
                                                    typed=conversation.channel in TYPED)
            analysis.signals = self.signals.detect(utterances, customer, language)
        conversation.analysis = analysis

    def _score_utterances(self, utterances: list[Utterance], language: str | None) -> None:
        """Sentiment and emotion of every utterance with words: one batched call per model.
        An utterance of numbers only (a card or account number read out) states no feeling:
        neutral, score 0, whatever a text classifier would make of the digits."""
        for u in utterances:
            u.sentiment, u.sentiment_score, u.emotion, u.emotion_confidence = "neutral", 0.0, "neutral", None
        worded = [u for u in utterances if any(ch.isalpha() for ch in u.text)]
        if not worded:
            return
        texts = [u.text for u in worded]
        classes = self.sentiment.classes
        labels, probs = self.sentiment.predict(texts, language)
        scores = probs[:, classes.index("positive")] - probs[:, classes.index("negative")]
        emotions, emotion_probs = self.emotion.predict(texts, language)
        for u, label, score, emotion, p in zip(worded, labels, scores, emotions, emotion_probs):
            u.sentiment, u.sentiment_score = label, round(float(score), 3)
            u.emotion, u.emotion_confidence = emotion, round(float(p.max()), 3)

    def _reason(self, texts: list[str], agent_texts: list[str], language: str | None) -> ContactReason:
        """Primary and secondary reasons from the customer's sentences, in order (the agent's
        sentences when the customer's give none)."""
        found = self.reasons.classify_call(sentences_of(texts), language, sentences_of(agent_texts))
        secondary = [ReasonScore(reason=r, family=self.taxonomy.reason(r).family, confidence=round(c, 3))
                     for r, c in found.secondary]
        return ContactReason(reason=found.reason, family=found.family, confidence=round(found.confidence, 3),
                             sales_opportunity=found.sales_opportunity, secondary=secondary,
                             stated_by=found.stated_by)
