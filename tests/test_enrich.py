"""The enrichment stage on hand-built conversations with the real bundled models, and the
redaction of the texts it quotes."""

from __future__ import annotations

import pytest

from callscope.config import EnrichSettings
from callscope.conversation import (Analysis, AspectMention, Conversation, Processing, Signal, Source, Utterance,
                                    Word)
from callscope.errors import ConfigError, ModelError
from callscope.pipeline.enrich import NO_CUSTOMER, Enricher
from callscope.pipeline.process import CallProcessor
from callscope.redact import redact_conversation

pytestmark = pytest.mark.slow     # loads text models (embedders, heads) or builds a large corpus


def said(speaker: str, role: str, start: float, end: float, text: str) -> Utterance:
    """An utterance whose words share its time evenly."""
    tokens = text.split()
    step = (end - start) / len(tokens)
    words = [Word(start=round(start + i * step, 3), end=round(start + (i + 1) * step, 3), text=t, probability=1.0,
                  speaker=speaker) for i, t in enumerate(tokens)]
    return Utterance(speaker=speaker, role=role, start=start, end=end, text=text, words=words)


def conversation(utterances: list[Utterance], language: str | None = "en") -> Conversation:
    duration = max(u.end for u in utterances) + 1.0
    source = Source(path="call.wav", sha256="0" * 64, size_bytes=1, container="wav", codec="pcm_s16le",
                    sample_rate=8000, channels=2, duration=duration, layout="stereo")
    processing = Processing(callscope_version="test", asr_model="none", config_hash="test", created_at="now")
    return Conversation(id="call", source=source, language=language, duration=duration, utterances=utterances,
                        processing=processing)


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher(EnrichSettings())


def late_parcel_call() -> Conversation:
    return conversation([
        said("A", "agent", 0.0, 3.0, "Thank you for calling Northwind, how can I help?"),
        said("C", "customer", 3.5, 9.0, "Hi, my parcel still hasn't arrived and it was due last Monday. "
                                        "This is really frustrating."),
        said("A", "agent", 9.5, 12.5, "I'm sorry about that. Can I take your order number?"),
        said("C", "customer", 13.0, 17.0, "It's eight four one two. I've already called twice about this."),
        said("A", "agent", 17.5, 22.0, "The courier will deliver it tomorrow morning and I've added a credit."),
        said("C", "customer", 22.5, 26.0, "Okay, that's great, thank you so much for your help."),
    ])


def test_english_call_gets_a_full_analysis(enricher):
    call = late_parcel_call()
    enricher.enrich(call)
    for u in call.utterances:
        assert u.sentiment in ("negative", "neutral", "positive") and -1 <= u.sentiment_score <= 1
        assert u.emotion is not None and 0 < u.emotion_confidence <= 1
    a = call.analysis
    assert (a.reason.reason, a.reason.family, a.reason.sales_opportunity) == ("parcel_late", "avoidable", False)
    assert a.reason.confidence >= 0.2 and a.reason.stated_by == "customer"
    assert a.trajectory.label == "improved" and a.trajectory.lowest_utterance in (1, 3)
    assert call.utterances[5].sentiment == "positive" and call.utterances[5].emotion == "joy"
    assert a.sentiment in ("negative", "neutral", "positive") and -1 <= a.sentiment_score <= 1
    assert [(s.kind, s.utterance) for s in a.signals] == [("repeat_contact", 3)]
    assert {m.aspect for m in a.aspects} >= {"logistics"}
    assert all(call.utterances[m.utterance].role == "customer" for m in a.aspects)
    assert a.metrics.talk_seconds == {"agent": 10.5, "customer": 13.0}
    assert a.metrics.agent_questions == 2
    assert call.warnings == []


def test_french_call(enricher):
    call = conversation([
        said("A", "agent", 0.0, 3.0, "Bonjour, que puis-je faire pour vous ?"),
        said("C", "customer", 3.5, 9.0, "Mon colis n'est toujours pas arrivé, je l'attends depuis une semaine."),
        said("A", "agent", 9.5, 12.0, "Je suis désolée, je vais vérifier."),
        said("C", "customer", 12.5, 15.0, "Je veux parler à un responsable."),
    ], language="fr")
    enricher.enrich(call)
    assert (call.analysis.reason.reason, call.analysis.reason.family) == ("parcel_late", "avoidable")
    assert [(s.kind, s.utterance) for s in call.analysis.signals] == [("escalation_request", 3)]
    assert all(u.sentiment and u.emotion for u in call.utterances)


def test_numbers_read_out_are_neutral_and_the_agent_restatement_gives_the_reason(enricher):
    call = conversation([
        said("A", "agent", 0.0, 3.0, "Good morning, how can I help?"),
        said("C", "customer", 3.5, 6.0, "Yes, it's about my invite, it's all wrong."),
        said("A", "agent", 6.5, 9.0, "Can you read me the account number?"),
        said("C", "customer", 9.5, 13.0, "4556. 7375. 8689. 9855."),
        said("A", "agent", 13.5, 18.0, "I've issued a corrected invoice with the right amount for your plan."),
    ])
    enricher.enrich(call)
    digits = call.utterances[3]
    assert (digits.sentiment, digits.sentiment_score, digits.emotion, digits.emotion_confidence) == (
        "neutral", 0.0, "neutral", None)
    reason = call.analysis.reason
    assert (reason.reason, reason.family, reason.stated_by) == ("wrong_invoice", "avoidable", "agent")


def test_without_a_customer_all_speech_is_analysed_and_a_warning_says_so(enricher):
    call = conversation([
        said("S1", "unknown", 0.0, 4.0, "Hello, thank you for calling, how can I help you today?"),
        said("S2", "unknown", 4.5, 9.0, "I've forgotten my password and I can't log in to my account."),
    ])
    enricher.enrich(call)
    assert call.warnings == [NO_CUSTOMER]
    assert (call.analysis.reason.reason, call.analysis.reason.stated_by) == ("password_reset", None)
    assert call.analysis.metrics.agent_talk_ratio is None


def test_empty_call_gets_metrics_only(enricher):
    call = conversation([said("A", "agent", 0.0, 1.0, "Hello?")])
    call.utterances = []
    enricher.enrich(call)
    assert call.analysis.reason.reason == "unknown" and call.analysis.sentiment is None
    assert call.analysis.metrics is not None and call.warnings == []


def test_a_missing_taxonomy_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=f"{tmp_path / 'absent.yaml'}: taxonomy file not found"):
        Enricher(EnrichSettings(taxonomy=str(tmp_path / "absent.yaml")))


def test_the_text_models_load_after_the_first_calls_asr_and_a_bad_one_stops_the_batch(tmp_path, fast_settings,
                                                                                     monkeypatch):
    """CallProcessor loads the text models in the background once the first call is transcribed and heard
    again (not beside a long call's ASR or diarisation, whose peak memory they would add to); a bad model
    file ends the batch at the first call's enrichment with its one-line reason, and no call is written."""
    from callscope.api import run_batch
    from callscope.pipeline import process
    from tests.test_bad_inputs import noise

    events = []
    load, transcribe = process._loaded_enricher, process.Transcriber.transcribe
    monkeypatch.setattr(process, "_loaded_enricher", lambda *args: events.append("load") or load(*args))
    monkeypatch.setattr(process.Transcriber, "transcribe",
                        lambda *args, **kwargs: events.append("transcribe") or transcribe(*args, **kwargs))
    recover = process.CallProcessor._recover
    monkeypatch.setattr(process.CallProcessor, "_recover",
                        lambda *args, **kwargs: events.append("recover") or recover(*args, **kwargs))
    settings = fast_settings.model_copy(deep=True)
    settings.enrich.sentiment_model = str(tmp_path / "nowhere")
    with pytest.raises(ModelError, match=r"sentiment model .*nowhere: directory not found"):
        CallProcessor(settings).enricher
    events.clear()
    with pytest.raises(ModelError, match=r"sentiment model .*nowhere: directory not found"):
        run_batch([noise(tmp_path / "call.wav", 0)], tmp_path / "out", settings, reports=False)
    assert events[0] == "transcribe" and events[-2:] == ["recover", "load"] and events.count("load") == 1
    assert not list((tmp_path / "out").glob("call*.json"))


def test_texts_quoted_in_the_analysis_are_redacted():
    call = conversation([said("C", "customer", 0.0, 8.0,
                              "My card is 4556 7375 8689 9855 and I'm cancelling my contract.")])
    text = call.utterances[0].text
    call.analysis = Analysis(
        signals=[Signal(kind="churn_intent", confidence=1.0, method="phrase", evidence="cancelling my contract",
                        text=text, utterance=0, start=0.0)],
        aspects=[AspectMention(aspect="payment", polarity="neutral", score=0.0, confidence=0.9,
                               text="8689 9855", utterance=0, start=4.0, end=6.0)])  # a piece of the card number
    redacted = redact_conversation(call)
    signal, aspect = redacted.analysis.signals[0], redacted.analysis.aspects[0]
    assert signal.text == redacted.utterances[0].text == "My card is [CARD] and I'm cancelling my contract."
    assert aspect.text == "[CARD]"
    assert call.analysis.aspects[0].text == "8689 9855"           # the original is left untouched
