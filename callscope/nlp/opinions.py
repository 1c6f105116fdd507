"""Opinions in customer-service terms, learnt from the taxonomy.

General sentiment classifiers (the first heads, trained on tweets and Reddit comments alone) read
factual complaints ("the parcel was late", "le produit est arrivé cassé") as neutral, and a
business's own wording is known to its taxonomy only. The taxonomy's
aspect `positive` / `negative` examples, with GENERAL_OPINIONS, make a negative and a positive
prototype, and its plain aspect mentions with call small talk (BACKGROUND) the neutral one: a
business-specific opinion model. A text's cosines to the three prototypes (a sharp softmax)
say how much of it is opinion. The direction of that opinion comes from its closeness to the
negative and the positive side (PROTOTYPE_SHARE of the cosine to the side's prototype, the rest
the mean cosine to its NEAREST closest examples: a prototype is an average, in which a close
paraphrase of one example, "the product exceeded my expectation", is lost among the many
examples about the same things, "it fell short of my expectations"), blended with the
classifier's direction (`classifier_weight`). English text uses all the embedders, other languages
the multilingual ones (USE).

`OpinionAdjusted` wraps a sentiment classifier so that its probabilities are mixed with this
model's (`weight`): how callscope scores utterances (docs/metrics.md has the figures).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from callscope.nlp.embeddings import MULTILINGUAL, get_embedder, unit, unit_embeddings
from callscope.nlp.fixed_vectors import fixed_unit_embeddings
from callscope.nlp.interfaces import Embedder, LabelPredictor
from callscope.nlp.language import detect_language
from callscope.nlp.reasons import DEFAULT_EMBEDDERS
from callscope.nlp.taxonomy import Taxonomy

POLARITIES = ("negative", "neutral", "positive")
CLASSIFIER_WEIGHT = 0.2     # share of the classifier in an opinion's direction (0.2-0.3 best on aspect dev clauses)
SHARPNESS = 20.0            # softmax scale over the cosines to the prototypes (and over closeness)
# An opinion's direction: PROTOTYPE_SHARE x cosine to the side's prototype + the rest x the mean cosine to
# its NEAREST closest examples. Chosen on MAMS val and the fixture sentences (docs/benchmarks.md).
PROTOTYPE_SHARE = 0.3
NEAREST = 10

# Small talk of calls in English and French: neutral, and about no aspect.
BACKGROUND = (
    "hello", "good morning", "hi, how are you", "yes", "no", "okay", "right", "I see", "thank you",
    "thanks very much", "that's right", "yes, that's correct", "sorry, could you repeat that",
    "hold on a moment", "one second please", "I'm just getting my details", "my name is John Smith",
    "my date of birth is the third of May", "it's seven four two one", "the postcode is M1 4BT",
    "I live in Leeds", "I'm calling about my account", "let me have a look", "I don't know", "maybe",
    "can you hear me", "that's everything, thanks", "bye", "have a nice day", "my son is at school",
    "bonjour", "oui", "non", "d'accord", "merci beaucoup", "au revoir", "c'est ça", "je vois",
    "je m'appelle Paul Martin", "pouvez-vous répéter", "un instant s'il vous plaît", "bonne journée",
    "je vous appelle au sujet de mon dossier", "j'habite à Nantes",
)

# Opinions about anything, in English and French, beside the aspects' own examples.
GENERAL_OPINIONS = {
    "positive": (
        "it's excellent", "I'm really happy with it", "it's brilliant", "it was better than I expected",
        "I'm very pleased", "it's perfect, no complaints", "that's fantastic", "I'd recommend you to anyone",
        "really impressed", "it's great value", "it all went smoothly", "I couldn't be happier",
        "c'est parfait", "je suis très satisfait", "c'est vraiment excellent", "mieux que ce que j'attendais",
        "je suis ravi", "rien à redire", "it exceeded my expectations", "it lived up to expectations",
        "ça a dépassé mes attentes", "c'est à la hauteur de mes attentes"),
    "negative": (
        "it's terrible", "I'm really disappointed", "it's a joke", "it was worse than I expected",
        "I'm not happy at all", "it's unacceptable", "that's ridiculous", "I'd never recommend you",
        "it's a complete mess", "it's a waste of money", "nothing works as it should", "I'm fed up with it",
        "c'est inadmissible", "je suis très déçu", "c'est vraiment nul", "pas du tout ce que j'attendais",
        "j'en ai marre", "c'est n'importe quoi", "it fell short of my expectations",
        "it didn't live up to expectations", "ça n'a pas répondu à mes attentes",
        "ce n'est pas à la hauteur de mes attentes"),
}


def features(blocks: Sequence[np.ndarray], indices: Sequence[int]) -> np.ndarray:
    """The unit embeddings of some embedders side by side, scaled so a dot product is their mean cosine."""
    return np.hstack([blocks[i] for i in indices]) / np.sqrt(len(indices))


def route_indices(embedders: Sequence[Embedder]) -> dict[str, list[int]]:
    """Embedder positions per route: "en" uses them all, "multi" the multilingual ones."""
    names = [getattr(e, "name", "") for e in embedders]
    multi = [i for i, name in enumerate(names) if name in MULTILINGUAL] or list(range(len(names)))
    return {"en": list(range(len(names))), "multi": multi}


def opinion_examples(taxonomy: Taxonomy) -> tuple[list[str], list[str]]:
    """(texts, polarity of each) from the taxonomy, small talk and, when the taxonomy has opinions,
    GENERAL_OPINIONS. Without positive and negative examples in the taxonomy there are none."""
    texts, polarities = [], []
    for aspect in taxonomy.aspects:
        for key, polarity in (("examples", "neutral"), ("positive", "positive"), ("negative", "negative")):
            said = getattr(aspect, key)
            texts += said
            polarities += [polarity] * len(said)
    if not {"positive", "negative"} <= set(polarities):
        return [], []
    texts += BACKGROUND
    polarities += ["neutral"] * len(BACKGROUND)
    for polarity, said in GENERAL_OPINIONS.items():
        texts += said
        polarities += [polarity] * len(said)
    return texts, polarities


class OpinionModel:
    """The three opinion prototypes of a taxonomy, per route (see the module doc).

    `available` is False when the taxonomy has no `positive`/`negative` examples; then
    `blend` returns the classifier's probabilities unchanged.
    """

    def __init__(self, taxonomy: Taxonomy, embedders: Sequence[Embedder] | None = None,
                 classifier_weight: float = CLASSIFIER_WEIGHT):
        self.embedders = [get_embedder(n) for n in DEFAULT_EMBEDDERS] if embedders is None else list(embedders)
        self.classifier_weight = classifier_weight
        self.routes = route_indices(self.embedders)
        texts, polarities = opinion_examples(taxonomy)
        self.available = bool(texts)
        self._prototypes: dict[str, np.ndarray] = {}
        self._sides: dict[str, tuple[np.ndarray, np.ndarray]] = {}     # negative and positive examples
        if self.available:
            blocks = self.embed_fixed(texts)
            labels = np.array(polarities)
            for key, indices in self.routes.items():
                x = features(blocks, indices)
                self._prototypes[key] = unit(np.stack([x[labels == p].mean(0) for p in POLARITIES]))
                self._sides[key] = (x[labels == "negative"], x[labels == "positive"])

    def embed(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Unit embeddings of `texts`, one block per embedder."""
        return [unit_embeddings(e, texts) for e in self.embedders]

    def embed_fixed(self, texts: Sequence[str]) -> list[np.ndarray]:
        """`embed` of texts from the configuration (never a call's), kept on disk (fixed_vectors.py)."""
        return [fixed_unit_embeddings(e, texts) for e in self.embedders]

    def opinions(self, blocks: Sequence[np.ndarray], language: str) -> np.ndarray:
        """(n, 3) softmax over the cosines to the negative, neutral and positive prototypes."""
        route = "en" if language == "en" else "multi"
        logits = SHARPNESS * features(blocks, self.routes[route]) @ self._prototypes[route].T
        odds = np.exp(logits - logits.max(axis=1, keepdims=True))
        return odds / odds.sum(axis=1, keepdims=True)

    def directions(self, blocks: Sequence[np.ndarray], language: str) -> np.ndarray:
        """(n,) P(positive | opinion): a sharp softmax over the closeness to the negative and positive side."""
        route = "en" if language == "en" else "multi"
        x = features(blocks, self.routes[route])
        prototypes = x @ self._prototypes[route][[0, 2]].T
        nearest = np.stack([np.sort(x @ side.T, axis=1)[:, -NEAREST:].mean(axis=1) for side in self._sides[route]],
                           axis=1)
        closeness = PROTOTYPE_SHARE * prototypes + (1 - PROTOTYPE_SHARE) * nearest
        return 1 / (1 + np.exp(SHARPNESS * (closeness[:, 0] - closeness[:, 1])))

    def blend(self, texts: Sequence[str], general: np.ndarray, language: str,
              blocks: Sequence[np.ndarray] | None = None) -> np.ndarray:
        """(n, 3) polarity probabilities (POLARITIES order) of texts whose classifier gave `general`
        (same order): the opinion share from the prototypes, its direction blended with the classifier's."""
        if not self.available or not len(texts):
            return general
        blocks = self.embed(texts) if blocks is None else blocks
        opinion = self.opinions(blocks, language)
        polar = opinion[:, 0] + opinion[:, 2]
        own = self.directions(blocks, language)
        general_polar = general[:, 0] + general[:, 2]
        theirs = np.where(general_polar > 1e-9, general[:, 2] / np.maximum(general_polar, 1e-9), 0.5)
        positive = (1 - self.classifier_weight) * own + self.classifier_weight * theirs
        return np.stack([polar * (1 - positive), opinion[:, 1], polar * positive], axis=1)


class OpinionAdjusted:
    """A sentiment classifier whose probabilities are mixed with the opinion model's:
    (1 - weight) * classifier + weight * blend. Same interface as the classifier it wraps."""

    def __init__(self, classifier: LabelPredictor, opinions: OpinionModel, weight: float):
        self.classifier = classifier
        self.opinions = opinions
        self.weight = weight
        self.classes = classifier.classes
        self._order = [self.classes.index(p) for p in POLARITIES]

    def predict(self, texts: Sequence[str], language: str | None = None) -> tuple[list[str], np.ndarray]:
        """Labels and (n, len(classes)) probabilities; `language` None detects each text's."""
        labels, probs = self.classifier.predict(texts, language)
        if not self.weight or not self.opinions.available or not len(texts):
            return labels, probs
        general = probs[:, self._order]
        mixed = general.copy()
        languages = [language] * len(texts) if language else [detect_language(t) for t in texts]
        for lang in set(languages):
            rows = [i for i, x in enumerate(languages) if x == lang]
            blended = self.opinions.blend([texts[i] for i in rows], general[rows], lang)
            mixed[rows] = (1 - self.weight) * general[rows] + self.weight * blended
        out = np.empty_like(probs)
        out[:, self._order] = mixed
        return [self.classes[i] for i in out.argmax(1)], out
