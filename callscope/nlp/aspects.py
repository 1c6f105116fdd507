"""Aspect-based sentiment: what the customer said about delivery, the product, the price...

Customer speech is split into clauses (punctuation, and connectives such as "but",
"although", "mais", "par contre", or "and"/"so"/"et"/"donc" where a new clause starts). Each clause
goes to the taxonomy aspect it is about, or to none (small talk, off the list): a logistic
head over the offline sentence embeddings, learnt from every aspect's description and
example lists plus a built-in set of call small talk (BACKGROUND). English calls use all
the embedders, other languages the multilingual ones (USE). Speech recognition may lose the
punctuation and the connective between two clauses ("the parcel was late the product was
great"): a clause is then cut where a new one may start, if its two sides go to two different
aspects (`unmarked_cuts`).

Each mapped clause gets its own polarity from the taxonomy's opinion model
(`callscope.nlp.opinions`: the opinion share from the taxonomy's opinion prototypes, its
direction blended with the sentiment classifier's). Without opinion examples in the
taxonomy the classifier decides alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression

from callscope.conversation import AspectMention, Utterance
from callscope.nlp.embeddings import get_embedder
from callscope.nlp.language import detect_language
from callscope.nlp.opinions import BACKGROUND, POLARITIES, OpinionModel, features, route_indices
from callscope.nlp.reasons import DEFAULT_EMBEDDERS
from callscope.nlp.taxonomy import Taxonomy
from callscope.threads import one_blas_thread

# A clause is about an aspect when the head gives that aspect at least THRESHOLD (and more than
# to small talk). Chosen on 98 hand-written development clauses (none of them in the taxonomy or
# the tests): at 0.3, 91% of aspect clauses get the right aspect and all small talk stays unassigned.
THRESHOLD = 0.3
HEAD_C = 10.0               # inverse regularisation of the aspect head
MIN_WORDS = 2               # shorter fragments join a neighbouring clause
SIDE_WORDS = 3              # each side of a boundary that nothing marks has at least this many words

# Connectives that start a contrasting clause; they are left out of the clause's text.
CONTRAST = sorted((tuple(c.split()) for c in (
    "but", "although", "though", "even though", "even if", "however", "whereas", "while", "yet",
    "except that", "apart from that", "other than that", "on the other hand",
    "mais", "cependant", "pourtant", "toutefois", "néanmoins", "par contre", "en revanche",
    "alors que", "tandis que", "bien que", "même si", "sauf que", "quoique")), key=len, reverse=True)
# Split only where a subject follows ("and the driver was rude", "so I ordered again"); "so that" is a purpose.
JOINING = {"and", "et", "so", "donc"}
SUBJECTS = {
    "i", "i'm", "i've", "i'd", "i'll", "you", "you're", "you've", "he", "she", "it", "it's", "we", "we've",
    "they", "they're", "they've", "there", "there's", "that", "that's", "this", "these", "those", "the",
    "my", "your", "his", "her", "its", "our", "their", "a", "an", "nobody", "no-one", "everyone",
    "everything", "nothing", "someone", "somebody", "je", "tu", "il", "elle", "on", "nous", "vous", "ils",
    "elles", "le", "la", "les", "un", "une", "des", "mon", "ma", "mes", "ton", "ta", "tes", "son", "sa",
    "ses", "notre", "nos", "votre", "vos", "leur", "leurs", "ce", "cet", "cette", "ces", "ça", "personne",
    "rien", "tout"}
ELIDED = {"j'", "l'", "c'", "qu'", "d'", "n'", "s'", "m'"}  # French elisions that begin a subject
# No clause starts right after these ("the colour of my jacket", "je parle de mon colis").
PREPOSITIONS = {"of", "to", "in", "on", "at", "for", "with", "from", "by", "about", "into", "than", "like",
                "de", "à", "en", "dans", "pour", "avec", "sur", "par", "chez", "que", "qu'"}
# A fragment opening with one of these depends on the next one: no split at its comma.
SUBORDINATORS = {"when", "if", "because", "since", "as", "after", "before", "once", "until", "unless",
                 "quand", "lorsque", "lorsqu'", "si", "s'il", "parce", "comme", "dès", "après", "avant",
                 "puisque", "puisqu'"}

_TOKEN = re.compile(r"\w+(?:['’-]\w+)*['’]?|[.!?;…]+|[,:—–]")
_HARD, _SOFT = set(".!?;…"), set(",:—–")


@dataclass(frozen=True)
class Clause:
    """A clause of an utterance: its text and its character span in the utterance's text."""

    text: str
    start: int
    end: int


def _norm(token: str) -> str:
    return token.lower().replace("’", "'")


def _starts_clause(token: str) -> bool:
    word = _norm(token)
    return word in SUBJECTS or ("'" in word and any(word.startswith(e) for e in ELIDED))


def split_clauses(text: str) -> list[Clause]:
    """Clauses of `text` (English or French), in order; connectives between them are dropped.

    A connective set off by commas before a word that cannot start a clause ("the product,
    however, is great") is parenthetical: it is dropped without a split.
    """
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    words = [_norm(t) for t, _, _ in tokens]
    fragments: list[list[int]] = [[]]    # token indices of each fragment's words

    def close() -> None:
        if fragments[-1]:
            fragments.append([])

    def next_word(i: int) -> str:
        return next((t for t in words[i:] if t[0] not in _HARD | _SOFT), "")

    i = 0
    while i < len(tokens):
        word = words[i]
        if word[0] in _HARD:
            close()
        elif word[0] in _SOFT:
            opening = words[fragments[-1][0]] if fragments[-1] else ""
            if opening not in SUBORDINATORS and _starts_clause(next_word(i + 1)):
                close()
        elif n := _contrast_at(words, i):
            parenthetical = i + n < len(words) and words[i + n][0] in _SOFT
            if not parenthetical or _starts_clause(next_word(i + n)):
                close()
            i += n
            continue
        elif word in JOINING and _starts_clause(next_word(i + 1)) and (word, next_word(i + 1)) != ("so", "that"):
            close()
        else:
            fragments[-1].append(i)
        i += 1
    spans = [[tokens[f[0]][1], tokens[f[-1]][2], len(f)] for f in fragments if f]
    merged: list[list[int]] = []
    for span in spans:                   # short fragments join the clause before (or after) them
        if merged and (span[2] < MIN_WORDS or merged[-1][2] < MIN_WORDS):
            merged[-1] = [merged[-1][0], span[1], merged[-1][2] + span[2]]
        else:
            merged.append(span)
    return [Clause(text[start:end], start, end) for start, end, _ in merged]


def unmarked_cuts(clause: Clause) -> list[tuple[Clause, Clause]]:
    """Ways to cut a clause in two where a new clause may start with no punctuation or connective
    to show it, as in speech recognised without them ("the parcel was late the product was great",
    "but" lost or heard as "bought"): before a word that can open a clause, not after one or a
    preposition, with at least SIDE_WORDS words each side. Whether to cut is the models' call."""
    words = [m for m in _TOKEN.finditer(clause.text) if m.group()[0] not in _HARD | _SOFT]
    cuts = []
    for k in range(SIDE_WORDS, len(words) - SIDE_WORDS + 1):
        before, opening = _norm(words[k - 1].group()), words[k].group()
        if _starts_clause(opening) and not _starts_clause(before) and before not in PREPOSITIONS:
            end, start = words[k - 1].end(), words[k].start()
            cuts.append((Clause(clause.text[:end], clause.start, clause.start + end),
                         Clause(clause.text[start:], clause.start + start, clause.end)))
    return cuts


def _contrast_at(words: list[str], i: int) -> int:
    """Length of the contrastive connective starting at word i (0 if none)."""
    for connective in CONTRAST:
        if tuple(words[i:i + len(connective)]) == connective:
            return len(connective)
    return 0


class AspectAnalyzer:
    """Aspect mentions with their polarity in a call's customer utterances (see the module doc).

    `sentiment` is any classifier with `classes` (negative, neutral, positive) and
    `predict(texts) -> (labels, probabilities)`: the bundled heads or a transformers model.
    `opinions` is the taxonomy's opinion model (built here when not given).
    """

    def __init__(self, taxonomy: Taxonomy, sentiment, embedders: Sequence | None = None,
                 threshold: float = THRESHOLD, opinions: OpinionModel | None = None):
        self.sentiment = sentiment
        self.threshold = threshold
        self.ids = [aspect.id for aspect in taxonomy.aspects]
        self.embedders = [get_embedder(name) for name in DEFAULT_EMBEDDERS] if embedders is None else list(embedders)
        self.opinions = opinions or OpinionModel(taxonomy, self.embedders)
        self._polarity = [sentiment.classes.index(c) for c in POLARITIES]
        self.routes = route_indices(self.embedders)
        self._heads: dict[str, LogisticRegression] = {}
        if self.ids:
            texts, labels = [], []
            for index, aspect in enumerate(taxonomy.aspects):
                said = [*aspect.examples, *aspect.positive, *aspect.negative, aspect.description]
                texts += said
                labels += [index] * len(said)
            texts += BACKGROUND
            labels += [len(self.ids)] * len(BACKGROUND)
            blocks = self.opinions.embed_fixed(texts)
            with one_blas_thread():     # a small problem: BLAS threads only add contention
                self._heads = {key: LogisticRegression(C=HEAD_C, max_iter=5000).fit(features(blocks, indices), labels)
                               for key, indices in self.routes.items()}

    def classify(self, clauses: Sequence[str], language: str = "en") -> list[tuple[str | None, float, np.ndarray]]:
        """(aspect or None, confidence, polarity probabilities over negative/neutral/positive) per clause.

        Clauses about no aspect get (None, 0.0, zeros) and are not scored for sentiment.
        """
        results: list[tuple[str | None, float, np.ndarray]] = [(None, 0.0, np.zeros(3))] * len(clauses)
        if not clauses or not self.ids:
            return results
        route = "en" if language == "en" else "multi"
        blocks = self.opinions.embed(clauses)
        with one_blas_thread():
            aspect_probs = self._heads[route].predict_proba(features(blocks, self.routes[route]))
        best = aspect_probs.argmax(axis=1)
        kept = [row for row, b in enumerate(best) if b < len(self.ids) and aspect_probs[row, b] >= self.threshold]
        if not kept:
            return results
        polarity = self.polarity([clauses[row] for row in kept], language, [block[kept] for block in blocks])
        for row, probs in zip(kept, polarity):
            results[row] = (self.ids[best[row]], float(aspect_probs[row, best[row]]), probs)
        return results

    def polarity(self, texts: Sequence[str], language: str = "en",
                 blocks: Sequence[np.ndarray] | None = None) -> np.ndarray:
        """(n, 3) polarity probabilities (negative, neutral, positive) of clauses, whatever they are about;
        `blocks` are their embeddings when already computed (`OpinionModel.embed`)."""
        general = self.sentiment.predict(list(texts), language)[1][:, self._polarity]
        return self.opinions.blend(texts, general, language, blocks)

    def _cut_between_aspects(self, found: list[tuple[int, Clause]], results: list, language: str) -> list:
        """(utterance index, clause) with its `classify` result, in order, each clause that speaks of
        two aspects with nothing to mark the boundary cut in two: at the unmarked cut (`unmarked_cuts`)
        whose sides go to two different aspects, the less sure side being the surest."""
        cuts = [unmarked_cuts(clause) for _, clause in found]
        halves = self.classify([half.text for clause_cuts in cuts for cut in clause_cuts for half in cut], language)
        scored, kept = iter(halves), []
        for (index, clause), result, clause_cuts in zip(found, results, cuts):
            options = []
            for (left, right), first, second in ((cut, next(scored), next(scored)) for cut in clause_cuts):
                if first[0] and second[0] and first[0] != second[0]:
                    options.append((min(first[1], second[1]), [((index, left), first), ((index, right), second)]))
            kept += max(options, key=lambda option: option[0])[1] if options else [((index, clause), result)]
        return kept

    def analyse(self, utterances: list[Utterance], indices: list[int],
                language: str | None = None, typed: bool = False) -> list[AspectMention]:
        """Aspect mentions in the utterances at `indices` (the customer's), in order.

        `language` is the call's; None detects it from all those utterances together. `typed` text
        (chat, e-mail) has its writer's punctuation: its clauses are not cut where nothing marks a cut.
        """
        found = [(index, clause) for index in indices for clause in split_clauses(utterances[index].text)]
        if not found or not self.ids:
            return []
        if language is None:
            language = detect_language(" ".join(utterances[i].text for i in indices))
        results = self.classify([c.text for _, c in found], language)
        classified = zip(found, results) if typed else self._cut_between_aspects(found, results, language)
        mentions = []
        for (index, clause), (aspect, confidence, probs) in classified:
            if aspect is None:
                continue
            start, end = _timing(utterances[index], clause)
            mentions.append(AspectMention(
                aspect=aspect, polarity=POLARITIES[int(probs.argmax())],
                score=round(float(probs[2] - probs[0]), 4), confidence=round(confidence, 4), text=clause.text,
                utterance=index, start=start, end=end))
        return mentions


def _timing(utterance: Utterance, clause: Clause) -> tuple[float, float]:
    """Start and end times of the clause's words (the utterance's times without words)."""
    spans, position = [], 0
    for word in utterance.words:
        found = utterance.text.find(word.text, position)
        if found < 0:
            return utterance.start, utterance.end
        spans.append((found, found + len(word.text), word))
        position = found + len(word.text)
    inside = [w for start, end, w in spans if start < clause.end and end > clause.start]
    if not inside:
        return utterance.start, utterance.end
    return inside[0].start, inside[-1].end
