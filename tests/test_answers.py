"""Answer words ("No," "Yes," "Non,") are read as replies, not as feelings (real bundled heads)."""

import pytest

from callscope.config import EnrichSettings
from callscope.nlp.answers import without_answer_words
from callscope.pipeline.enrich import Enricher
from tests.test_enrich import conversation, said

pytestmark = pytest.mark.slow     # loads text models (embedders, heads) or builds a large corpus


@pytest.mark.parametrize("text, rest", [
    ("No, that's it.", ""),
    ("Yes, yes, that's right.", "that's right."),
    ("Non, c'est tout, merci.", "merci."),
    ("Okay.", ""),
    ("No one has called me back.", "No one has called me back."),   # a determiner, not an answer
    ("No way!", "No way!"),
    ("Right, I'm escalating this.", "I'm escalating this."),
    ("Ben non, c'est tout pour aujourd'hui.", ""),
    ("Okay. Not great. No, that's all, thanks.", "Not great. thanks."),
    ("No, that\u2019s all. Really poor, honestly.", "Really poor, honestly."),
    ("That's it? That's all you can do?", "That's it? That's all you can do?"),   # questions stay
    ("C'est tout ce que vous proposez ?", "C'est tout ce que vous proposez ?"),   # not a whole clause
    ("That's all I needed, thanks.", "That's all I needed, thanks."),
    ("No - it's broken again.", "it's broken again."),                          # a spaced dash ends a clause
    ("Oui \u2014 enfin, non.", "enfin,"),
    ("No e-mail came - nothing.", "No e-mail came - nothing."),                  # a hyphen does not
])
def test_answer_words_and_closing_formulas_are_set_aside(text, rest):
    assert without_answer_words(text) == rest


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher(EnrichSettings())


def test_closing_replies_are_neutral_and_complaints_after_an_answer_word_stay_negative(enricher):
    call = conversation([
        said("A", "agent", 0.0, 2.0, "Is there anything else I can help with?"),
        said("C", "customer", 2.5, 4.0, "No, that's it."),
        said("A", "agent", 4.5, 6.0, "Is that the right address?"),
        said("C", "customer", 6.5, 8.0, "Non, c'est tout."),
        said("A", "agent", 8.5, 10.0, "Has it been sorted?"),
        said("C", "customer", 10.5, 14.0, "No, it's still broken and nobody has called me back. This is ridiculous."),
    ])
    enricher.enrich(call)
    closing, french_closing, complaint = (call.utterances[i] for i in (1, 3, 5))
    assert closing.sentiment == "neutral" and abs(closing.sentiment_score) < 0.3
    assert french_closing.sentiment == "neutral" and abs(french_closing.sentiment_score) < 0.3
    assert complaint.sentiment == "negative"


def test_french_closings_are_neutral_and_a_closing_does_not_hide_a_complaint(enricher):
    """The multilingual head alone reads "c'est tout." as a complaint (0.65 negative)."""
    call = conversation([
        said("A", "agent", 0.0, 2.0, "Est-ce que je peux faire autre chose pour vous ?"),
        said("C", "customer", 2.5, 4.0, "Non, ce sera tout."),
        said("A", "agent", 4.5, 6.0, "Autre chose ?"),
        said("C", "customer", 6.5, 8.0, "Ben non, c'est tout pour aujourd'hui."),
        said("A", "agent", 8.5, 10.0, "Autre chose ?"),
        said("C", "customer", 10.5, 14.0, "Non, c'est tout. Mais franchement, je suis très déçu du service."),
    ], language="fr")
    enricher.enrich(call)
    first, second, complaint = (call.utterances[i] for i in (1, 3, 5))
    assert (first.sentiment, first.sentiment_score, second.sentiment, second.sentiment_score) == (
        "neutral", 0.0, "neutral", 0.0)
    assert complaint.sentiment == "negative"
