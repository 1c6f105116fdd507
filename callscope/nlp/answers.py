"""Answer words: a turn that opens with "No," "Yes," "Okay," or "Non," is replying to the other party.

Text classifiers learnt from posts read a bare "No" as negative ("No, that's all." scores
about -0.6), yet in a call it is the answer to "Anything else?". Sentiment and emotion are
read from what follows the answer words; a turn of answer words alone (or of digits) is neutral.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

ANSWER_WORDS = ("no", "nope", "nah", "yes", "yeah", "yep", "yup", "ok", "okay", "right", "sure",
                "non", "oui", "ouais", "d'accord", "bon", "ben")
# An answer word is followed by punctuation or ends the text: "No one called" keeps its "No".
_LEADING = re.compile(r"^(?:\s*(?:%s)\s*(?:[,.;:!?-]+|$))+" % "|".join(re.escape(w) for w in ANSWER_WORDS),
                      re.IGNORECASE)


def without_answer_words(text: str) -> str:
    """The text after its leading answer words ("No, that's all." -> "that's all.", "Oui, oui." -> "")."""
    return _LEADING.sub("", text).strip()


class AnswerWordsAside:
    """A sentiment or emotion classifier (with `classes` and `predict`) that reads each text
    without its leading answer words; texts left without letters are `neutral` for sure."""

    def __init__(self, classifier):
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
