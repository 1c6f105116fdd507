"""Answer words and closing formulas: the parts of a turn that reply to the other party.

Text classifiers learnt from posts read a bare "No" as negative ("No, that's all." scores
about -0.6), yet in a call it is the answer to "Anything else?"; and the closing that follows
("that's all", "c'est tout") states no feeling either, though a head may read it as one
("c'est tout." as a complaint). Sentiment and emotion are read from the rest of the turn:
clauses that are only answer words or only a closing formula are set aside (not questions:
"That's it?" is indignant); a turn with nothing else (or only digits) is neutral.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from callscope.nlp.interfaces import LabelPredictor

ANSWER_WORDS = ("no", "nope", "nah", "yes", "yeah", "yep", "yup", "ok", "okay", "right", "sure",
                "non", "oui", "ouais", "d'accord", "bon", "ben")
# What a customer says to "Anything else?" once the need is met, with an optional "for now".
CLOSING_FORMULAS = ("that's all", "that is all", "that's everything", "that's it", "nothing else",
                    "c'est tout", "ce sera tout", "ça sera tout", "rien d'autre", "pas d'autre question",
                    "c'est bon pour moi")
_CLOSING_TAILS = ("for now", "for today", "pour le moment", "pour aujourd'hui")


def _alternatives(phrases: Sequence[str]) -> str:
    return "|".join(re.escape(p) for p in phrases)


# A clause (text between punctuation marks or dashes) that is only answer words ("Yeah, no.",
# "Ben non,") or only a closing formula ("that's all for now."); a question ("That's it?") is never one.
_REPLY_ONLY = re.compile(r"(?:{w})(?:\s+(?:{w}))*|(?:{c})(?:\s+(?:{t}))?".format(
    w=_alternatives(ANSWER_WORDS), c=_alternatives(CLOSING_FORMULAS), t=_alternatives(_CLOSING_TAILS)),
    re.IGNORECASE)
# What ends a clause: punctuation, a dash between spaces ("No - it's broken"), an en or em dash;
# not the hyphen inside a word ("e-mail", "pouvez-vous").
_CLAUSE_END = re.compile(r"([,.;:!?]+|\s+-+\s+|\s*[\u2013\u2014]\s*)")


def without_answer_words(text: str) -> str:
    """The text without its clauses of answer words or closing formulas ("No, that's all." -> "",
    "No, that's all, thanks a lot!" -> "thanks a lot!", "No one called." and "C'est tout ?" unchanged)."""
    pieces = _CLAUSE_END.split(text.replace("\u2019", "'")) + [""]
    kept = []
    for body, end in zip(pieces[::2], pieces[1::2]):
        if body.strip() and (end.endswith("?") or not _REPLY_ONLY.fullmatch(body.strip())):
            kept.append((body + end).strip())
    return " ".join(kept)


class AnswerWordsAside:
    """A sentiment or emotion classifier (with `classes` and `predict`) that reads each text
    without its answer words and closing formulas; texts left without letters are `neutral` for sure."""

    def __init__(self, classifier: LabelPredictor):
        self.classifier = classifier
        self.classes = classifier.classes

    def predict(self, texts: Sequence[str], language: str | None = None) -> tuple[list[str], np.ndarray]:
        """Labels and (n, len(classes)) probabilities, as the wrapped classifier gives them."""
        rests = [without_answer_words(t) for t in texts]
        probs = np.zeros((len(texts), len(self.classes)))
        probs[:, self.classes.index("neutral")] = 1.0
        worded = [i for i, rest in enumerate(rests) if any(ch.isalpha() for ch in rest)]
        if worded:
            probs[worded] = self.classifier.predict([rests[i] for i in worded], language)[1]
        return [self.classes[i] for i in probs.argmax(1)], probs
