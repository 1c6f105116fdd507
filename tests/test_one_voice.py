"""One voice, two parties: sentences told apart by their words (real USE embeddings and role head)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from callscope.cli import app
from callscope.config import RoleSettings, Settings, SpeakerSettings
from callscope.conversation import Speaker, Word
from callscope.errors import ConfigError
from callscope.nlp.role_words import RoleByWords, load_role_examples, role_examples
from callscope.pipeline.align import build_utterances
from callscope.pipeline.one_voice import (EVIDENCE, ROLES_BY_WORDS_EVIDENCE, decode_parties, parties_of_voices,
                                          roles_from_sentences, sentence_agent_probability, sentences,
                                          split_one_voice, two_parties_allowed)
from callscope.pipeline.roles import assign_roles

pytestmark = pytest.mark.slow     # loads text models (embedders, heads) or builds a large corpus

# An insurance call (not one of the sample calls), one sentence per line, with who says it.
DIALOGUE = [
    ("agent", "Good morning, Harbour Insurance, this is Priya speaking, how can I help?"),
    ("customer", "Hi, I want to make a claim, my car was damaged in a car park yesterday."),
    ("agent", "I'm sorry to hear that."),
    ("agent", "Could I take your policy number please?"),
    ("customer", "Yes, it's H R nine four one two."),
    ("agent", "Thank you, I can see your policy and you're fully covered for that."),
    ("agent", "I've opened the claim and an assessor will contact you within two days."),
    ("customer", "Great, do I need to send any photos?"),
    ("agent", "Yes, you can upload them in the app under claims."),
    ("customer", "Okay, that's everything, thanks for your help."),
    ("agent", "You're welcome, have a good day."),
]


def words_of(lines: list[str], pause: float = 0.6) -> list[Word]:
    """The lines as timed words of one speaker (0.3 s a word, `pause` between lines)."""
    words, clock = [], 0.0
    for line in lines:
        for token in line.split():
            words.append(Word(start=clock, end=clock + 0.25, text=token, probability=0.9, speaker="SPEAKER_00"))
            clock += 0.3
        clock += pause
    return words


@pytest.fixture(scope="module")
def agent_probability():
    settings = Settings()
    head = RoleByWords(*role_examples(settings))
    return lambda texts: sentence_agent_probability(texts, head, settings.roles)


def test_the_role_head_reads_its_examples_vectors_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLSCOPE_CACHE", str(tmp_path))
    agent, customer = ["How can I help you today?", "Let me check that for you."], ["My parcel never came.",
                                                                                    "I want a refund."]
    first = RoleByWords(agent, customer)
    encoded = []
    backend = first._embedder.backend
    real_encode = backend.encode
    monkeypatch.setattr(backend, "encode", lambda texts: encoded.extend(texts) or real_encode(texts))
    second = RoleByWords(agent, customer)
    assert encoded == []          # the second start embedded no example
    probe = ["Where is my order?", "Is there anything else I can help with?"]
    np.testing.assert_array_equal(second.agent_probability(probe), first.agent_probability(probe))


def test_sentences_end_at_full_stops_and_questions():
    units = sentences(words_of(["Hello there. How can I help?", "My card"]))
    assert [" ".join(w.text for w in unit) for unit in units] == ["Hello there.", "How can I help?", "My card"]


def test_decoding_prefers_to_switch_after_a_question():
    uncertain = np.array([0.9, 0.5, 0.5])
    assert decode_parties(uncertain, [True, False, False])[:2] == ["agent", "customer"]
    assert decode_parties(uncertain, [False, False, False])[:2] == ["agent", "agent"]


def test_one_voice_is_split_into_agent_and_customer(agent_probability):
    words = words_of([line for _, line in DIALOGUE])
    speakers = split_one_voice(words, Speaker(id="SPEAKER_00"), agent_probability)
    assert speakers is not None and [s.role for s in speakers] == ["agent", "customer"]
    assert all(s.role_evidence == [EVIDENCE] and 0.5 < s.role_confidence <= 1 for s in speakers)
    role_of = {s.id: s.role for s in speakers}
    found = [role_of[unit[0].speaker] for unit in sentences(words)]
    right = sum(f == truth for f, (truth, _) in zip(found, DIALOGUE))
    assert right >= len(DIALOGUE) - 1, found
    assert found[0] == "agent" and found[1] == "customer"


def test_french_call_is_split_too(agent_probability):
    lines = [("agent", "Bonjour, service client, que puis-je faire pour vous ?"),
             ("customer", "Bonjour, ma facture de mars est beaucoup trop élevée."),
             ("agent", "Je comprends, puis-je avoir votre numéro client ?"),
             ("customer", "Oui, c'est le deux trois quatre cinq."),
             ("agent", "Merci, je vois une erreur de notre part, je vous rembourse la différence."),
             ("customer", "Et je serai remboursé quand ?"),
             ("agent", "Sous cinq jours ouvrés, vous recevrez un mail de confirmation."),
             ("customer", "D'accord, merci beaucoup.")]
    words = words_of([text for _, text in lines])
    speakers = split_one_voice(words, Speaker(id="SPEAKER_00"), agent_probability)
    assert speakers is not None
    role_of = {s.id: s.role for s in speakers}
    found = [role_of[unit[0].speaker] for unit in sentences(words)]
    assert sum(f == truth for f, (truth, _) in zip(found, lines)) >= len(lines) - 1, found


def test_a_monologue_stays_one_speaker(agent_probability):
    voicemail = ["Hi, it's Tom Baker calling about my broadband.", "It has been down since Monday.",
                 "I've restarted the router twice and nothing works.", "Please call me back on my mobile.",
                 "I work from home, so I really need it fixed.", "Thanks, bye."]
    words = words_of(voicemail)
    assert split_one_voice(words, Speaker(id="SPEAKER_00"), agent_probability) is None
    assert {w.speaker for w in words} == {"SPEAKER_00"}


def labelled(words: list[Word], speakers: list[str]) -> list[Word]:
    """The words with sentence i given to speakers[i]."""
    for unit, speaker in zip(sentences(words), speakers):
        for word in unit:
            word.speaker = speaker
    return words


def test_two_voices_that_read_as_agent_and_customer_get_those_roles(agent_probability):
    ids = {"agent": "SPEAKER_01", "customer": "SPEAKER_00"}
    words = labelled(words_of([line for _, line in DIALOGUE]), [ids[role] for role, _ in DIALOGUE])
    parties = parties_of_voices(words, agent_probability)
    assert parties is not None
    roles, confidence = parties
    assert roles == {"SPEAKER_01": "agent", "SPEAKER_00": "customer"}
    assert 0.5 < confidence["agent"] <= 1 and 0.5 < confidence["customer"] <= 1


def test_two_voices_that_no_phrase_tells_apart_get_their_roles_from_their_sentences(agent_probability):
    """No greeting, service or customer phrase of the role cues, and the customer speaks first (the
    agent's opening was not heard): the cues leave both voices unknown, the sentences decide."""
    lines = [("customer", "Hello, yes, hi, my train was cancelled this morning."),
             ("agent", "Good afternoon, you're through to the bookings desk."),
             ("customer", "It was the seven fifteen to Leeds."),
             ("agent", "Right, I've found the reservation now."),
             ("agent", "I've moved it to Friday at no extra cost."),
             ("customer", "Oh brilliant, that's a relief."),
             ("agent", "You'll get a confirmation by text shortly."),
             ("customer", "Okay, thanks so much, bye.")]
    ids = {"agent": "SPEAKER_00", "customer": "SPEAKER_01"}
    words = labelled(words_of([line for _, line in lines]), [ids[role] for role, _ in lines])
    speakers = [Speaker(id="SPEAKER_00"), Speaker(id="SPEAKER_01")]
    utterances = build_utterances(words, speakers)
    assign_roles(speakers, utterances, Settings().roles)
    assert [s.role for s in speakers] == ["unknown", "unknown"]
    assert roles_from_sentences(words, speakers, utterances, agent_probability)
    assert [s.role for s in speakers] == ["agent", "customer"]
    assert ROLES_BY_WORDS_EVIDENCE in speakers[0].role_evidence
    assert all(u.role == ("agent" if u.speaker == "SPEAKER_00" else "customer") for u in utterances)


def test_two_voices_of_one_party_are_not_two_parties(agent_probability):
    """A voicemail that the clustering cut in two: both halves read as the customer."""
    voicemail = ["Hi, it's Tom Baker calling about my broadband.", "It has been down since Monday.",
                 "I've restarted the router twice and nothing works.", "Please call me back on my mobile.",
                 "I work from home, so I really need it fixed.", "My account number is in the letter.",
                 "I'd like someone to come and look at the line.", "Thanks, bye."]
    words = labelled(words_of(voicemail), ["SPEAKER_00", "SPEAKER_01"] * 4)
    assert parties_of_voices(words, agent_probability) is None


def test_hold_music_is_not_a_party(agent_probability):
    """The second 'voice' is hold music: no words, so it cannot read as either party."""
    words = words_of([line for role, line in DIALOGUE if role == "agent"])
    assert parties_of_voices(words, agent_probability) is None


def test_a_bad_role_examples_file_is_a_one_line_error(tmp_path):
    missing = tmp_path / "absent.yaml"
    with pytest.raises(ConfigError, match="absent.yaml: role examples file not found"):
        load_role_examples(missing)
    half = tmp_path / "half.yaml"
    half.write_text("agent: ['how can I help']\n")
    with pytest.raises(ConfigError, match="half.yaml: needs non-empty lists"):
        load_role_examples(half)


def test_the_shipped_examples_load():
    agent, customer = load_role_examples(RoleSettings().examples_path())
    assert len(agent) >= 50 and len(customer) >= 30


def test_a_user_who_says_one_speaker_gets_no_split():
    assert two_parties_allowed(SpeakerSettings())
    assert two_parties_allowed(SpeakerSettings(min_speakers=2, max_speakers=3))
    assert not two_parties_allowed(SpeakerSettings(num_speakers=1))
    assert not two_parties_allowed(SpeakerSettings(max_speakers=1))


def test_eval_roles_scores_sentences_and_names_bad_labels(tmp_path):
    rows = [{"said": text, "who": role} for role, text in DIALOGUE]
    path = tmp_path / "roles.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "roles", "--data", str(path), "--text-field", "said",
                                      "--label-field", "who", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["n"] == len(DIALOGUE) and figures["accuracy"] >= 0.7 and "macro_f1" in figures
    path.write_text(json.dumps({"text": "Hello", "role": "caller"}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "roles", "--data", str(path)])
    assert result.exit_code == 2 and "caller" in result.stderr and str(path) in result.stderr
    config = tmp_path / "bad.yaml"
    config.write_text("roles:\n  by_wordz: true\n")
    result = CliRunner().invoke(app, ["eval", "roles", "--data", str(path), "--config", str(config)])
    assert result.exit_code == 2 and result.stderr.strip() == f"error: {config}: roles.by_wordz: unknown key"
