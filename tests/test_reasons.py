"""Contact reasons: the default taxonomy, its validation, and the classifier on real embedders.

The customer phrasings below are written for these tests and are not copies of the
taxonomy's examples (checked), so they measure how the few-shot classifier generalises.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from callscope.errors import CallscopeError, ConfigError
from callscope.evaluation.reasons import evaluate
from callscope.nlp.language import detect_language, english_rows
from callscope.nlp.reasons import ReasonClassifier, load_classifier
from callscope.nlp.taxonomy import UNKNOWN, Reason, Taxonomy, load_taxonomy

pytestmark = pytest.mark.slow     # loads text models (embedders, heads) or builds a large corpus

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CALLS = ROOT / "sample_audio" / "dialogues.yaml"

# (customer phrasing, reason); the first ones of each block are the core set, all expected right.
CORE = [
    ("my package still hasn't shown up", "parcel_late"),
    ("the delivery date has come and gone and I've had nothing", "parcel_late"),
    ("the app says my parcel was handed over yesterday but there's nothing on my doorstep", "parcel_not_received"),
    ("I opened the box and the lamp was in pieces", "damaged_item"),
    ("I returned the headphones a month ago and I'm still waiting for the money", "refund_request"),
    ("I think I dropped my bank card on the bus, please stop it", "lost_card"),
    ("I can't log in, how do I reset my password", "password_reset"),
    ("I need to give you my new address because I've just relocated", "address_change"),
    ("I'd like to upgrade to the unlimited plan", "plan_upgrade"),
    ("you've taken two payments out of my account for the same month", "billing_error"),
    ("the invoice has the wrong amount on it, please send a corrected one", "wrong_invoice"),
    ("I got a reminder letter so I'm ringing to pay the balance", "bill_payment"),
    ("I want to end my contract at the end of the month", "cancel_contract"),
    ("nothing works, the internet's been completely dead since last night", "service_outage"),
    ("the technician was booked for this morning and never turned up", "missed_appointment"),
    ("there's a payment to some website I've never heard of on my statement", "fraud_report"),
    ("my broadband is painfully slow every evening", "technical_support"),
    ("I forgot the PIN for my new debit card", "pin_reset"),
    ("could you email me a copy of last month's bill", "invoice_copy"),
    ("the dress doesn't fit, how do I send it back", "return_item"),
    ("I'm off to France next week, will my mobile work over there", "roaming"),
    ("what are your opening hours on Saturday", "store_info"),
    ("I need to let you know that my mother has passed away", "bereavement"),
]
MORE = [
    ("I ordered a jacket ten days ago and it's nowhere to be seen, can you chase it", "parcel_late"),
    ("my order was supposed to come on Friday and it's now Wednesday", "parcel_late"),
    ("apparently it was left with a neighbour but nobody on my road has it", "parcel_not_received"),
    ("I ordered trainers in size nine and got a pair of sandals", "damaged_item"),
    ("I want my money back for this, it's not what I paid for", "refund_request"),
    ("my purse got nicked this afternoon with my credit card in it", "lost_card"),
    ("the website won't let me sign in, it says my details are incorrect", "password_reset"),
    ("we've moved to a new flat so the account needs the new address", "address_change"),
    ("my contract's nearly up, what better packages can you offer me", "plan_upgrade"),
    ("why is there a forty pound charge for something I didn't order", "billing_error"),
    ("the bill you sent says I owe two hundred pounds, that can't be right for my tariff", "wrong_invoice"),
    ("I'd like to settle my bill with my debit card now", "bill_payment"),
    ("I've found a cheaper deal with another company so I'm leaving you", "cancel_contract"),
    ("is the network down, I've had zero bars all day", "service_outage"),
    ("I was at the till and my card was refused even though there's money in the account", "card_declined"),
    ("I'd like to get a second SIM for my son", "new_subscription"),
    ("I'm interested in borrowing ten thousand pounds for a new kitchen", "loan_application"),
    ("the dishwasher I bought in the spring has stopped draining", "product_fault"),
    ("I'd like to speak to someone senior, I want to complain about how I've been treated", "complaint"),
    ("I'm short of money this month, can I spread the payment over a few months", "payment_arrangement"),
    ("is the forty inch TV available in your shop", "product_enquiry"),
    ("where in the app do I see my past orders", "app_help"),
    ("how much money have I got in my current account", "balance_enquiry"),
    ("I want to pay from a different bank account from now on", "update_payment_details"),
    ("I ordered the wrong thing an hour ago, can you cancel it before it goes out", "order_cancellation"),
    ("you've written to me asking for proof of identity, what do I have to send", "identity_verification"),
    ("I've changed my mobile number and need to update it on my account", "personal_details_update"),
]
FRENCH = [
    ("mon colis n'est toujours pas arrivé, ça fait une semaine", "parcel_late"),
    ("j'ai perdu ma carte bleue hier soir", "lost_card"),
    ("je n'arrive pas à me connecter, j'ai oublié mon mot de passe", "password_reset"),
    ("je voudrais résilier mon abonnement", "cancel_contract"),
    ("je voudrais être remboursé pour l'article que j'ai renvoyé", "refund_request"),
    ("ma facture est beaucoup trop élevée par rapport à mon forfait", "wrong_invoice"),
]
OFF_TOPIC = [
    "what's the weather tomorrow",
    "tell me a joke",
    "who won the football last night",
    "how do you make a chocolate cake",
    "what's the capital of Australia",
    "can you recommend a good film to watch",
    "how many calories are in a banana",
    "play some music",
    "what time is sunset in Paris",
    "I like turtles",
    "sorry, could you say that again",
    "hang on a second",
]
ACCURACY_FLOOR = 0.86   # measured 0.92 (46/50, threshold 0.2; 49/50 right as the best reason)
REQUIRED = ["parcel_late", "parcel_not_received", "refund_request", "lost_card", "password_reset",
            "address_change", "plan_upgrade", "billing_error", "wrong_invoice", "bill_payment", "cancel_contract"]


@pytest.fixture(scope="module")
def classifier():
    """The default taxonomy over MiniLM + USE."""
    return load_classifier()


def test_default_taxonomy_is_complete():
    taxonomy = load_taxonomy()
    assert 20 <= len(taxonomy.reasons) <= 40
    assert {r.family for r in taxonomy.reasons} == {"assistance", "selfcare", "avoidable", "mandatory"}
    assert set(REQUIRED) <= {r.id for r in taxonomy.reasons}
    assert all(13 <= len(r.examples) <= 18 for r in taxonomy.reasons)
    assert all(sum(detect_language(e) == "fr" for e in r.examples) >= 5 for r in taxonomy.reasons)  # French calls
    assert any(r.sales_opportunity for r in taxonomy.reasons)
    assert all(r.model_extra.get("proactive_action") for r in taxonomy.reasons if r.family == "avoidable")
    assert 8 <= len(taxonomy.aspects) <= 12
    assert {"logistics", "product", "price_billing", "agent_service"} <= {a.id for a in taxonomy.aspects}


def test_test_phrasings_are_not_taxonomy_examples():
    examples = {e.lower() for r in load_taxonomy().reasons for e in [r.description, *r.examples]}
    phrasings = [t for t, _ in CORE + MORE + FRENCH] + OFF_TOPIC
    assert len(CORE + MORE) >= 40 and not examples & {t.lower() for t in phrasings}


GOOD = "  - {id: a, family: selfcare, description: d, examples: [x]}\n"


@pytest.mark.parametrize("text, expected", [
    ("reasons:\n  - {id: a, family: nope, description: d, examples: [x]}\n", "reasons[0] (a).family: Input should be"),
    ("reasons:\n  - {id: a, family: selfcare, examples: [x]}\n", "reasons[0] (a).description: required key missing"),
    ("reasons:\n" + GOOD + "  - {id: b, family: mandatory, description: d}\n", "reasons[1] (b).examples: required key"),
    ("reasons:\n" + GOOD + GOOD, "reasons[1]: duplicate id 'a'"),
    ("reasons:\n  - {id: a, family: selfcare, description: d, examples: [x, ' ']}\n",
     "reasons[0] (a).examples[1]: must not be blank"),
    ("reasons:\n" + GOOD + "aspects:\n  - {id: p}\n", "aspects[0] (p).description: required key missing"),
    ("reasons:\n" + GOOD + "colours: [red]\n", "colours: unknown key"),
    ("reasons:\n  - {id: unknown, family: selfcare, description: d, examples: [x]}\n", "'unknown' is reserved"),
    ("reasons: [\n", "not valid YAML"),
    ("- a\n", "expected a mapping"),
])
def test_bad_taxonomy_is_one_line_naming_file_and_item(tmp_path: Path, text: str, expected: str):
    path = tmp_path / "tax.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_taxonomy(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and expected in message and "\n" not in message


def test_extra_keys_are_kept(tmp_path: Path):
    path = tmp_path / "tax.yaml"
    path.write_text("reasons:\n  - {id: a, family: avoidable, description: d, examples: [x], "
                    "proactive_action: send an SMS}\n", encoding="utf-8")
    assert load_taxonomy(path).reasons[0].model_extra == {"proactive_action": "send an SMS"}


def test_core_phrasings_all_right(classifier):
    results = classifier.classify([t for t, _ in CORE])
    wrong = [(t, y, r.reason) for (t, y), r in zip(CORE, results) if r.reason != y]
    assert not wrong


def test_phrasings_accuracy_floor(classifier):
    cases = CORE + MORE
    results = classifier.classify([t for t, _ in cases])
    accuracy = sum(r.reason == y for (_, y), r in zip(cases, results)) / len(cases)
    assert accuracy >= ACCURACY_FLOOR
    assert len({y for _, y in cases}) >= 30


def test_results_carry_family_and_sales_flag(classifier):
    upgrade, lost = classifier.classify(["I'd like to upgrade to the unlimited plan",
                                         "I think I dropped my bank card on the bus, please stop it"])
    assert (upgrade.family, upgrade.sales_opportunity) == ("assistance", True)
    assert (lost.family, lost.sales_opportunity) == ("assistance", False)
    assert 0.5 < upgrade.confidence <= 1


def test_off_topic_is_unknown(classifier):
    results = classifier.classify(OFF_TOPIC)
    assert [r.reason for r in results] == [UNKNOWN] * len(OFF_TOPIC)
    assert all(r.family is None and r.best for r in results)


def test_english_text_is_compared_with_the_english_examples_only(classifier):
    """MiniLM is English-only: the taxonomy's French examples must not move English results."""
    english = [r.model_copy(update={"examples": [e for e in r.examples if detect_language(e) == "en"]})
               for r in classifier.taxonomy.reasons]
    without_french = ReasonClassifier(classifier.taxonomy.model_copy(update={"reasons": english}),
                                      classifier.embedders)
    texts = [t for t, _ in CORE[:8]]
    assert np.allclose(classifier.confidences(texts, "en"), without_french.confidences(texts, "en"))
    assert not np.allclose(classifier.confidences(texts, "fr"), without_french.confidences(texts, "fr"))


def test_a_reason_with_french_examples_only_still_teaches_the_english_route(classifier):
    taxonomy = Taxonomy(reasons=[
        Reason(id="parcel_late", family="avoidable", description="the parcel is late",
               examples=["where is my parcel", "my order still hasn't arrived", "ma commande n'est pas arrivée"]),
        Reason(id="lost_card", family="assistance", description="the customer lost their bank card",
               examples=["j'ai perdu ma carte bancaire", "on m'a volé ma carte", "je ne trouve plus ma carte"])])
    small = ReasonClassifier(taxonomy, classifier.embedders)
    assert english_rows(["where is my parcel", "ma commande n'est pas arrivée", "j'ai perdu ma carte bancaire"],
                        [0, 0, 1]).tolist() == [True, False, True]
    confidences = small.confidences(["I've lost my bank card", "where's my order"], "en")
    assert np.isfinite(confidences).all() and confidences.argmax(1).tolist() == [1, 0]


def test_french_phrasings_get_sensible_reasons(classifier):
    results = classifier.classify([t for t, _ in FRENCH])
    assert [r.reason for r in results] == [y for _, y in FRENCH]


def test_sample_calls_primary_reason(classifier):
    for call in yaml.safe_load(SAMPLE_CALLS.read_text(encoding="utf-8"))["calls"]:
        said = [turn["B"] for turn in call["turns"] if "B" in turn]
        result = classifier.classify_call(said)
        assert (result.reason, result.family, result.sales_opportunity) == (
            call["reason"], call["family"], call["sales_opportunity"]), call["id"]
        assert result.trigger == said[result.trigger_index]


def test_call_weights_early_words_and_keeps_secondary_reasons(classifier):
    said = ["Hello, is that the bank?", "", "I'd like to pay off my credit card bill today please",
            "Sure, it's Anna Jones.", "Oh and while I'm here, I've moved house so my address needs changing.",
            "Great, thanks, bye."]
    result = classifier.classify_call(said)
    assert result.reason == "bill_payment" and result.trigger_index == 2
    assert [r for r, _ in result.secondary] == ["address_change"]
    assert classifier.position_weights(5).tolist() == pytest.approx([1, 1, 0.8, 0.64, 0.6])


def test_agent_restatement_gives_the_reason_only_when_the_customer_gives_none(classifier):
    misheard = ["Yes, my invite is completely wrong.", "This is ridiculous.", "So it's your mistake, not mine."]
    agent = ["Good morning, how can I help you today?", "I'm sorry about that.",
             "I've issued a corrected invoice with the right amount for your plan."]
    assert classifier.classify_call(misheard).reason == UNKNOWN
    result = classifier.classify_call(misheard, agent_utterances=agent)
    assert (result.reason, result.stated_by, result.trigger_index) == ("wrong_invoice", "agent", 2)
    assert result.confidence <= classifier.agent_weight
    # The customer's own reason is kept whatever the agent says (an upsell here).
    stated = classifier.classify_call(["I think I've lost my debit card."],
                                      agent_utterances=["Would you like to upgrade to our premium card?"])
    assert (stated.reason, stated.stated_by) == ("lost_card", "customer")
    # Small talk from the agent does not make a reason.
    assert classifier.classify_call(["Hi there.", "Ha, okay, bye."],
                                    agent_utterances=["Lovely weather today!", "Bye now."]).reason == UNKNOWN


def test_off_topic_and_empty_calls_are_unknown(classifier):
    assert classifier.classify_call(["Hi there.", "What's the weather like where you are?", "Ha, okay, bye."]).reason \
        == UNKNOWN
    assert classifier.classify_call([]).reason == UNKNOWN
    assert classifier.classify([]) == []


def test_eval_harness(classifier, tmp_path: Path):
    rows = [{"utterance": t, "intent": y} for t, y in CORE[:10]]
    rows += [{"utterance": t, "intent": "oos"} for t in OFF_TOPIC[:4]]
    path = tmp_path / "labelled.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    figures = evaluate(path, classifier, text_field="utterance", label_field="intent")
    assert (figures["n"], figures["n_in_scope"], figures["n_out_of_scope"]) == (14, 10, 4)
    assert figures["accuracy"] == 1.0 and figures["macro_f1"] == 1.0 and figures["unknown_rate_out_of_scope"] == 1.0
    assert figures["top_confusions"] == []
    path.write_text(json.dumps(rows[0]) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(CallscopeError, match=r"labelled.jsonl: line 2: not valid JSON"):
        evaluate(path, classifier, text_field="utterance", label_field="intent")
    with pytest.raises(CallscopeError, match="needs a text field 'text'"):
        evaluate(path, classifier)

