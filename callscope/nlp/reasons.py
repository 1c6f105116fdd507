"""Contact reasons: few-shot classification of customer words over a taxonomy.

Each reason is learnt from its description and examples, embedded offline.
A logistic head over the embeddings says *which* reason fits best; the cosine
to the reason's prototype (its examples' mean embedding plus a little of its
description) says *whether* the text is about that reason at all. The two
combine into one calibrated confidence; below the threshold the answer is
`unknown`.

With several embedders the L2-normalised embeddings are concatenated, so a
similarity is the mean of theirs. English text uses them all, against the
examples that may be English; other languages use only the multilingual ones
(USE), against all examples, as MiniLM is English-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression

from callscope.nlp.embeddings import MULTILINGUAL, unit, unit_embeddings
from callscope.nlp.fixed_vectors import fixed_unit_embeddings
from callscope.nlp.interfaces import Embedder
from callscope.nlp.language import detect_language, english_rows
from callscope.nlp.taxonomy import DEFAULT_TAXONOMY, UNKNOWN, Taxonomy, load_taxonomy
from callscope.threads import one_blas_thread

# Calibration fitted on CLINC150 val + oos_val, 10 examples per intent (benchmarks/
# bench_reasons_clinc.py --calibrate, run per embedder and for both): P(in scope) =
# sigmoid(SIM_SLOPE * (cosine - centre)), centre = the mean SIM_CENTRE of the route's embedders;
# P(right reason | in scope) = sigmoid(PROB_SLOPE * log p + PROB_BIAS), p = the head's probability.
SIM_SLOPE = 22.0
SIM_CENTRE = {"minilm": 0.45, "use": 0.51}
DEFAULT_SIM_CENTRE = 0.47
PROB_SLOPE, PROB_BIAS = 1.8, 4.1
# Below THRESHOLD a text's reason is unknown: the CLINC150 val operating point leaving <= 5% of
# in-scope texts unknown. A secondary reason of a call must be more likely right than wrong.
THRESHOLD, SECONDARY_THRESHOLD = 0.2, 0.5
DESCRIPTION_WEIGHT = 0.2            # of a reason's description in its prototype (examples' mean: 1)
AGENT_WEIGHT = 0.5                  # of the agent's words, heard only when the customer's give no reason


@dataclass(frozen=True)
class ReasonResult:
    """The reason of one text; `reason` is `unknown` when `confidence` is below the threshold."""

    reason: str
    confidence: float
    family: str | None = None
    sales_opportunity: bool = False
    best: str | None = None             # the most likely reason, even when `unknown`


@dataclass(frozen=True)
class CallReasons:
    """Why the customer called: a primary reason and any secondary ones."""

    reason: str
    confidence: float
    family: str | None = None
    sales_opportunity: bool = False
    secondary: list[tuple[str, float]] = field(default_factory=list)
    trigger: str | None = None          # the utterance that stated the primary reason
    trigger_index: int | None = None    # its index in the utterances given (customer's or agent's)
    stated_by: str | None = None        # "customer", or "agent" when only the agent's words gave it


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class _Route:
    """Prototypes and a logistic head over some of the embedders (their block indices), learnt
    from the taxonomy texts in `rows`."""

    def __init__(self, indices: list[int], blocks: list[np.ndarray], names: list[str], labels: np.ndarray,
                 is_description: np.ndarray, rows: np.ndarray):
        self.indices = indices
        blocks = [blocks[i][rows] for i in indices]
        labels, is_description = labels[rows], is_description[rows]
        self.centre = float(np.mean([SIM_CENTRE.get(names[i], DEFAULT_SIM_CENTRE) for i in indices]))
        self.prototypes = [unit(np.stack([
            block[(labels == r) & ~is_description].mean(0)
            + DESCRIPTION_WEIGHT * block[(labels == r) & is_description].mean(0)
            for r in range(labels.max() + 1)])) for block in blocks]
        with one_blas_thread():     # a tiny problem: BLAS threads only add contention
            self.head = LogisticRegression(C=10.0, max_iter=5000).fit(_concat(blocks), labels)

    def scores(self, blocks: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Cosine to each prototype and the head's probabilities, both (n, n_reasons)."""
        blocks = [blocks[i] for i in self.indices]
        similarity = np.mean([b @ p.T for b, p in zip(blocks, self.prototypes)], axis=0)
        with one_blas_thread():
            return similarity, self.head.predict_proba(_concat(blocks))


def _concat(blocks: list[np.ndarray]) -> np.ndarray:
    return np.hstack(blocks) / np.sqrt(len(blocks))


class ReasonClassifier:
    """Few-shot reason classifier over one embedder or a list of them (see the module doc).

    In a call, the customer's first `early_turns` utterances count in full; later
    ones are weighted `decay` ** k, never below `min_weight`. When the customer's
    words give no reason above the threshold, the agent's restatement ("I've issued
    a corrected invoice") may, at `agent_weight` times its confidence.
    """

    def __init__(self, taxonomy: Taxonomy, embedder: Embedder | Sequence[Embedder], threshold: float = THRESHOLD,
                 secondary_threshold: float = SECONDARY_THRESHOLD, early_turns: int = 2,
                 decay: float = 0.8, min_weight: float = 0.6, agent_weight: float = AGENT_WEIGHT):
        self.taxonomy = taxonomy
        self.embedders = list(embedder) if isinstance(embedder, (list, tuple)) else [embedder]
        self.threshold = threshold
        self.secondary_threshold = secondary_threshold
        self.early_turns, self.decay, self.min_weight = early_turns, decay, min_weight
        self.agent_weight = agent_weight
        self.ids = [reason.id for reason in taxonomy.reasons]

        texts, labels, is_description = [], [], []
        for index, reason in enumerate(taxonomy.reasons):
            texts += [reason.description, *reason.examples]
            labels += [index] * (1 + len(reason.examples))
            is_description += [True] + [False] * len(reason.examples)
        blocks = [fixed_unit_embeddings(e, texts) for e in self.embedders]
        names = [e.name for e in self.embedders]
        multi = [i for i, name in enumerate(names) if name in MULTILINGUAL]
        every_embedder, every_text = list(range(len(blocks))), np.ones(len(texts), bool)
        routes = {"en": (every_embedder, every_text)}
        if multi and len(multi) < len(blocks):
            # English-only embedders place other languages apart: English text is compared with
            # the English examples alone (and every description: each its own group), other
            # languages with all of them
            groups = [-1 - label if description else label for label, description in zip(labels, is_description)]
            routes = {"en": (every_embedder, english_rows(texts, groups)), "multi": (multi, every_text)}
        self._routes = {key: _Route(indices, blocks, names, np.array(labels), np.array(is_description), rows)
                        for key, (indices, rows) in routes.items()}

    def _embed(self, texts: Sequence[str]) -> list[np.ndarray]:
        return [unit_embeddings(e, texts) for e in self.embedders]

    def _scores(self, texts: Sequence[str], language: str | None):
        n = len(texts)
        similarity, prob = np.zeros((n, len(self.ids))), np.zeros((n, len(self.ids)))
        centre = np.zeros((n, 1))
        if not n:
            return similarity, prob, centre
        blocks = self._embed(texts)
        if "multi" in self._routes:
            langs = [language] * n if language else [detect_language(t) for t in texts]
            english = np.array([lang == "en" for lang in langs])
            rows = {"en": english, "multi": ~english}
        else:
            rows = {"en": np.ones(n, bool)}
        for key, mask in rows.items():
            if mask.any():
                route = self._routes[key]
                similarity[mask], prob[mask] = route.scores([block[mask] for block in blocks])
                centre[mask] = route.centre
        return similarity, prob, centre

    def scores(self, texts: Sequence[str], language: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Uncalibrated (cosine to each prototype, head probability), both (len(texts), n_reasons)."""
        similarity, prob, _ = self._scores(texts, language)
        return similarity, prob

    def confidences(self, texts: Sequence[str], language: str | None = None) -> np.ndarray:
        """(len(texts), n_reasons): calibrated probability that each reason is the text's.

        `language` (ISO code) applies to every text; None detects each text's language.
        """
        similarity, prob, centre = self._scores(texts, language)
        return (_sigmoid(SIM_SLOPE * (similarity - centre))
                * _sigmoid(PROB_SLOPE * np.log(np.maximum(prob, 1e-12)) + PROB_BIAS))

    def _result(self, index: int, confidence: float) -> ReasonResult:
        reason = self.taxonomy.reasons[index]
        if confidence < self.threshold:
            return ReasonResult(UNKNOWN, confidence, best=reason.id)
        return ReasonResult(reason.id, confidence, reason.family, reason.sales_opportunity, reason.id)

    def classify(self, texts: Sequence[str], language: str | None = None) -> list[ReasonResult]:
        """One result per text (an utterance or a query)."""
        conf = self.confidences(texts, language)
        return [self._result(int(row.argmax()), float(row.max())) for row in conf]

    def position_weights(self, n: int) -> np.ndarray:
        """Weights of a call's n customer utterances, early ones highest."""
        late = np.maximum(np.arange(n) - self.early_turns + 1, 0)
        return np.maximum(self.decay ** late, self.min_weight)

    def classify_call(self, customer_utterances: Sequence[str], language: str | None = None,
                      agent_utterances: Sequence[str] = ()) -> CallReasons:
        """Primary and secondary reasons of a call from the customer's utterances, in order;
        the agent's utterances are the fallback evidence (see the class doc).

        `language` is the call's; None detects it from all the customer's words together.
        """
        kept = [i for i, text in enumerate(customer_utterances) if text.strip()]
        texts = [customer_utterances[i] for i in kept]
        if language is None and "multi" in self._routes and texts:
            language = detect_language(" ".join(texts))
        raw = self.confidences(texts, language)
        weighted = raw * self.position_weights(len(texts))[:, None]
        secondary = self._secondary(raw, int(weighted.max(0).argmax()) if texts else -1)
        found = self._primary(weighted, texts, kept, "customer", secondary)
        if found.reason == UNKNOWN and self.agent_weight > 0:
            agent = [(i, text) for i, text in enumerate(agent_utterances) if text.strip()]
            if agent:
                evidence = self.agent_weight * self.confidences([t for _, t in agent], language)
                from_agent = self._primary(evidence, [t for _, t in agent], [i for i, _ in agent], "agent", secondary)
                if from_agent.reason != UNKNOWN:
                    return from_agent
        return found

    def _secondary(self, raw: np.ndarray, primary: int) -> list[tuple[str, float]]:
        """Reasons other than the primary that some utterance states as its top one, confidently."""
        best: dict[int, float] = {}
        for row in raw:
            top = int(row.argmax())
            best[top] = max(best.get(top, 0.0), float(row[top]))
        return sorted(((self.ids[r], c) for r, c in best.items()
                       if r != primary and c >= self.secondary_threshold), key=lambda item: -item[1])

    def _primary(self, weighted: np.ndarray, texts: list[str], positions: list[int], role: str,
                 secondary: list[tuple[str, float]]) -> CallReasons:
        """The best-supported reason over the weighted utterance confidences, or unknown."""
        if not texts:
            return CallReasons(UNKNOWN, 0.0, secondary=secondary)
        primary = int(weighted.max(0).argmax())
        head = self._result(primary, float(weighted[:, primary].max()))
        if head.reason == UNKNOWN:
            return CallReasons(UNKNOWN, head.confidence, secondary=secondary)
        secondary = [(r, c) for r, c in secondary if r != head.reason]
        sales = head.sales_opportunity or any(self.taxonomy.reason(r).sales_opportunity for r, _ in secondary)
        trigger = int(weighted[:, primary].argmax())
        return CallReasons(head.reason, head.confidence, head.family, sales, secondary,
                           texts[trigger], positions[trigger], role)


DEFAULT_EMBEDDERS = ("minilm", "use")


def load_classifier(taxonomy: str | Path | None = None, embedders: Sequence[str] = DEFAULT_EMBEDDERS,
                    **options) -> ReasonClassifier:
    """A classifier over a taxonomy file (default: callscope/configs/taxonomy.yaml) and named embedders."""
    from callscope.nlp.embeddings import get_embedder

    return ReasonClassifier(load_taxonomy(taxonomy or DEFAULT_TAXONOMY),
                            [get_embedder(name) for name in embedders], **options)
