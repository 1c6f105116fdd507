"""Signals a team lead acts on: churn or purchase intent, escalation, repeat contact, legal threat.

Two ways to find one in a customer's sentence:

- **phrase**: a configured phrase occurs in the normalised words (lower case, no
  punctuation) of one clause of the sentence, not negated (no "not", "never", "don't",
  "pas"... among the three words of the clause before it); a phrase ending in " $"
  must end the clause ("i'm leaving $" matches "if it happens again, I'm leaving."
  but not "I'm leaving for Spain");
- **semantic**: the embedding of the sentence, or of one of its clauses, is at least
  `threshold` cosine-similar to one of the kind's example sentences (English: the mean
  of MiniLM's and USE's cosines; other languages: USE's). Pieces under three words,
  and pieces with a negation (embeddings do not see it: "I'm not cancelling my
  contract" is close to "I want to cancel my contract"), are not compared.

A Signal is reported once per kind and utterance; a phrase match wins over a
semantic one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from callscope.conversation import Signal, Utterance
from callscope.nlp.embeddings import MULTILINGUAL, unit_embeddings
from callscope.nlp.fixed_vectors import fixed_unit_embeddings

MIN_SEMANTIC_WORDS = 3
NEGATORS = frozenset({"not", "never", "no", "nor", "pas", "jamais", "ne", "aucun", "aucune"})
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_CLAUSE_BREAK = re.compile(r"[,;:]|\s(?:and|but|so|because|et|mais|donc|car)\s", re.I)
_NON_WORD = re.compile(r"[^\w']+")


def split_sentences(text: str) -> list[str]:
    """The sentences of `text` (split after . ! or ?), stripped, without empty ones."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def split_clauses(sentence: str) -> list[str]:
    """The clauses of a sentence: split at , ; : and at and/but/so/because (et/mais/donc/car)."""
    return [c.strip() for c in _CLAUSE_BREAK.split(sentence) if c.strip()]


def normalise(text: str) -> list[str]:
    """Lower-case words without punctuation; ASR's "n 'est" becomes "n'est"."""
    text = re.sub(r"\s+'", "'", text.lower().replace("’", "'"))
    return [w.strip("'") for w in _NON_WORD.sub(" ", text).split() if w.strip("'")]


def _is_negator(word: str) -> bool:
    return word in NEGATORS or word.endswith("n't") or word.startswith("n'")


def _negated(words: list[str], at: int) -> bool:
    return any(map(_is_negator, words[max(0, at - 3):at]))


@dataclass(frozen=True)
class Phrase:
    """A configured phrase as normalised words; `at_end`: it must end the clause."""

    text: str
    words: tuple[str, ...]
    at_end: bool

    @classmethod
    def parse(cls, text: str) -> "Phrase":
        at_end = text.rstrip().endswith("$")
        return cls(text, tuple(normalise(text.rstrip().removesuffix("$"))), at_end)

    def found_in(self, words: list[str]) -> bool:
        """Whether the phrase occurs in the clause `words`, not negated."""
        n = len(self.words)
        last = len(words) - n
        return any(tuple(words[at:at + n]) == self.words and not _negated(words, at)
                   for at in ([last] if self.at_end else range(last + 1)) if at >= 0)


@dataclass(frozen=True)
class _Hit:
    kind: str
    confidence: float
    method: str
    evidence: str


class SignalDetector:
    """Phrase and semantic signal detection over named embedders (loaded once, shared)."""

    def __init__(self, phrases: Mapping[str, Sequence[str]], examples: Mapping[str, Sequence[str]],
                 threshold: float, embedders: Sequence):
        self.phrases = {kind: [Phrase.parse(p) for p in items if normalise(p)] for kind, items in phrases.items()}
        self.threshold = threshold
        self.embedders = list(embedders)
        self.examples = [(kind, text) for kind, items in examples.items() for text in items]
        kinds = [kind for kind, _ in self.examples]
        self._columns = {kind: np.array([i for i, k in enumerate(kinds) if k == kind]) for kind in dict.fromkeys(kinds)}
        self._example_vectors = [fixed_unit_embeddings(e, [text for _, text in self.examples]) for e in self.embedders]

    def _similarity(self, sentences: list[str], english: bool) -> np.ndarray:
        """(len(sentences), len(examples)) cosine, averaged over the embedders of the route."""
        use = [i for i, e in enumerate(self.embedders) if english or getattr(e, "name", "") in MULTILINGUAL]
        if not use or not self.examples:
            return np.zeros((len(sentences), len(self.examples)))
        return np.mean([unit_embeddings(self.embedders[i], sentences) @ self._example_vectors[i].T for i in use], axis=0)

    def detect(self, utterances: Sequence[Utterance], indices: Sequence[int], language: str | None) -> list[Signal]:
        """Signals in the utterances at `indices` (the customer's), in time order.

        `language` is the call's ISO code; anything but "en" uses the multilingual embedders only.
        """
        found: dict[tuple[str, int], _Hit] = {}
        pending: list[tuple[int, str]] = []      # (utterance index, sentence) for the semantic pass
        for index in indices:
            for sentence in split_sentences(utterances[index].text):
                clauses = split_clauses(sentence)
                for clause in clauses:
                    words = normalise(clause)
                    for kind, phrases in self.phrases.items():
                        phrase = next((p for p in phrases if p.found_in(words)), None)
                        if phrase and (kind, index) not in found:
                            found[(kind, index)] = _Hit(kind, 1.0, "phrase", " ".join(phrase.words))
                units = dict.fromkeys([sentence, *clauses] if len(clauses) > 1 else [sentence])
                pending += [(index, unit) for unit in units if len(words := normalise(unit)) >= MIN_SEMANTIC_WORDS
                            and not any(map(_is_negator, words))]
        if pending and self.examples:
            similarity = self._similarity([s for _, s in pending], english=language == "en")
            for (index, _), row in zip(pending, similarity):
                for kind, columns in self._columns.items():
                    best = int(columns[row[columns].argmax()])
                    score = float(row[best])
                    previous = found.get((kind, index))
                    if score >= self.threshold and (previous is None or
                                                    (previous.method == "semantic" and score > previous.confidence)):
                        found[(kind, index)] = _Hit(kind, round(score, 3), "semantic", self.examples[best][1])
        signals = [Signal(kind=hit.kind, confidence=hit.confidence, method=hit.method, evidence=hit.evidence,
                          text=utterances[index].text, utterance=index, start=utterances[index].start)
                   for (_, index), hit in found.items()]
        return sorted(signals, key=lambda s: (s.start, s.kind))
