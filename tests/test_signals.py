"""Signals with the default phrases and examples on the real embedders (MiniLM + USE).

The sentences are written for these tests; none is one of the configured example sentences.
"""

from __future__ import annotations

import pytest

from callscope.config import Settings
from callscope.conversation import Utterance
from callscope.nlp.embeddings import get_embedder
from callscope.nlp.signals import Phrase, SignalDetector, normalise, split_clauses

pytestmark = pytest.mark.slow     # loads text models (embedders, heads) or builds a large corpus

PHRASE_HITS = [
    ("en", "If you can't fix it today I'm cancelling my contract.", "churn_intent"),
    ("en", "Honestly, after all this, I'm leaving.", "churn_intent"),
    ("en", "That's a fair price, I'd like to buy the bigger bundle then.", "purchase_intent"),
    ("en", "Can I speak to your manager, please?", "escalation_request"),
    ("en", "I've already called three times this week.", "repeat_contact"),
    ("en", "I'll be passing all of this to my solicitor.", "legal_threat"),
    ("fr", "Je veux résilier mon abonnement dès aujourd'hui.", "churn_intent"),
    ("fr", "C'est parfait, je le prends.", "purchase_intent"),
    ("fr", "Je voudrais parler à un responsable.", "escalation_request"),
    ("fr", "J'ai déjà appelé hier pour ce problème.", "repeat_contact"),
    ("fr", "Je vais porter plainte contre vous.", "legal_threat"),
]
SEMANTIC_HITS = [  # no configured phrase in these: found by similarity to the example sentences
    ("en", "I'll be contacting a lawyer.", "legal_threat"),
    ("en", "I'm taking you to court over this.", "legal_threat"),
    ("en", "I will get a solicitor involved.", "legal_threat"),
    ("fr", "Ça fait trois fois que j'appelle.", "repeat_contact"),
]
ORDINARY = {  # what customers say on most calls, negated signals, and near misses
    "en": [
        "I'm not cancelling my contract, I just want the bill fixed.",
        "I'm leaving for Spain next week, will my phone work there?",
        "I never called before, this is the first time.",
        "I'd like to pay my bill over the phone.", "Can you tell me my balance?", "Where is my parcel?",
        "My internet has been down since Monday.", "Thanks for your help.", "I need to update my address.",
        "I've lost my debit card.", "The product exceeded my expectations, so I ordered again.",
        "Can I have a refund for the broken kettle?", "My manager at work needs a copy of the invoice.",
        "I called my bank and they said it's fine.", "I bought it last week.",
        "The parcel was supposed to arrive last Tuesday.", "I took a day off work to wait for it.",
        "This is really frustrating.", "So I could have done this myself?",
        "Is there a new contract, and is there a setup fee?",
        "You've charged me again for a phone I sent back months ago.", "I think my card has been stolen.",
        "How much is the new phone?", "My contract ends in March.", "I want to change my payment date.",
        "I'm moving house next week.", "The engineer never came.", "I've been a customer for ten years.",
        "Who am I speaking to?", "Can you explain this charge?", "I'll think about it and call back.",
        "I need to speak to my husband first.", "I'm calling about my account.",
        "It says it was delivered but I never got it.", "I haven't had my refund yet.",
        "Is there an outage in my area?", "Okay, that's great, thank you so much.",
        "The wifi keeps dropping out in the evenings.", "I want to cancel my order."],
    "fr": [
        "Je ne veux pas résilier, je veux juste une facture correcte.", "Je voudrais payer ma facture.",
        "Mon colis n'est pas arrivé.", "Merci pour votre aide.",
        "C'est vraiment agaçant, ce n'est pas la première fois.",
        "D'accord, et je dois faire quelque chose de mon côté ?", "J'ai perdu ma carte bancaire.",
        "Quel est le solde de mon compte ?", "Je déménage la semaine prochaine.",
        "Ma box internet ne marche plus depuis lundi.", "Le livreur a laissé le colis chez le voisin."],
}


@pytest.fixture(scope="module")
def detector() -> SignalDetector:
    signals = Settings().enrich.signals
    return SignalDetector(signals.phrases, signals.examples, signals.semantic_threshold,
                          [get_embedder("minilm"), get_embedder("use")])


def customer(texts: list[str]) -> list[Utterance]:
    return [Utterance(speaker="C", role="customer", start=10.0 * i, end=10.0 * i + 5, text=t)
            for i, t in enumerate(texts)]


def found_in(detector, language: str, text: str):
    return detector.detect(customer([text]), [0], language)


@pytest.mark.parametrize("language, text, kind", PHRASE_HITS)
def test_configured_phrases(detector, language, text, kind):
    signals = found_in(detector, language, text)
    assert [(s.kind, s.method) for s in signals] == [(kind, "phrase")]
    assert signals[0].confidence == 1.0 and " ".join(normalise(signals[0].evidence)) in " ".join(normalise(text))


@pytest.mark.parametrize("language, text, kind", SEMANTIC_HITS)
def test_similar_sentences(detector, language, text, kind):
    signals = found_in(detector, language, text)
    assert [(s.kind, s.method) for s in signals] == [(kind, "semantic")]
    assert signals[0].confidence >= Settings().enrich.signals.semantic_threshold
    assert signals[0].evidence in Settings().enrich.signals.examples[kind]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_ordinary_sentences_raise_nothing(detector, language):
    texts = ORDINARY[language]
    found = detector.detect(customer(texts), list(range(len(texts))), language)
    assert [(texts[s.utterance], s.kind, s.method, s.evidence) for s in found] == []


def test_each_signal_carries_its_customer_utterance(detector):
    utterances = [
        Utterance(speaker="A", role="agent", start=0.0, end=2.0, text="I'll put you through to my manager."),
        Utterance(speaker="C", role="customer", start=2.5, end=6.0, text="Good. I want to speak to a manager."),
        Utterance(speaker="C", role="customer", start=7.0, end=9.5,
                  text="I've already called twice. If it happens again, I'm leaving."),
    ]
    found = detector.detect(utterances, [1, 2], "en")
    assert [(s.kind, s.utterance, s.start, s.text) for s in found] == [
        ("escalation_request", 1, 2.5, utterances[1].text),
        ("churn_intent", 2, 7.0, utterances[2].text),
        ("repeat_contact", 2, 7.0, utterances[2].text),
    ]


def test_phrase_matching_rules():
    leaving = Phrase.parse("i'm leaving $")
    assert leaving.found_in(normalise("if it happens again I’m leaving"))
    assert not leaving.found_in(normalise("I'm leaving for Spain"))
    cancel = Phrase.parse("cancel my contract")
    assert not cancel.found_in(normalise("I don't want to cancel my contract"))
    assert normalise("C 'est agaçant, n 'est-ce pas ?") == ["c'est", "agaçant", "n'est", "ce", "pas"]
    assert split_clauses("If this isn't fixed today, I'm cancelling my contract and switching provider.") == [
        "If this isn't fixed today", "I'm cancelling my contract", "switching provider."]
