"""Roles from what speakers say, bleed removal on stereo, overtalk and word-to-turn alignment."""

import numpy as np

from callscope.config import RoleSettings
from callscope.conversation import Segment, Speaker, Utterance, Word
from callscope.pipeline.align import find_overtalk, label_words_by_turns, speech_intervals
from callscope.pipeline.bleed import drop_bleed
from callscope.pipeline.roles import assign_roles


def utterance(speaker: str, text: str, start: float) -> Utterance:
    return Utterance(speaker=speaker, start=start, end=start + 1, text=text)


def roles_of(utterances: list[Utterance], n: int = 2) -> dict[str, str]:
    speakers = [Speaker(id=f"S{i}") for i in range(n)]
    assign_roles(speakers, utterances, RoleSettings())
    assert all(u.role == next(s.role for s in speakers if s.id == u.speaker) for u in utterances)
    return {s.id: s.role for s in speakers}


def test_agent_found_by_greeting_even_when_the_customer_speaks_first():
    utterances = [utterance("S1", "Hello? Is that Northwind?", 0),
                  utterance("S0", "Yes, thank you for calling Northwind, how can I help?", 2),
                  utterance("S1", "I want to change my address.", 5),
                  utterance("S0", "Could you confirm your date of birth?", 8)]
    assert roles_of(utterances) == {"S0": "agent", "S1": "customer"}


def test_french_agent():
    utterances = [utterance("S0", "Bonjour, merci d'avoir appelé Northwind, comment puis-je vous aider ?", 0),
                  utterance("S1", "Bonjour, je n'ai pas reçu mon colis.", 4),
                  utterance("S0", "Puis-je avoir votre numéro de commande ?", 7)]
    assert roles_of(utterances) == {"S0": "agent", "S1": "customer"}


def test_weak_evidence_leaves_roles_unknown():
    utterances = [utterance("S0", "Hello.", 0), utterance("S1", "Hi, yes.", 1), utterance("S0", "Okay.", 2)]
    assert roles_of(utterances) == {"S0": "unknown", "S1": "unknown"}


def test_single_speaker_greeting_is_the_agent():
    speakers = [Speaker(id="S0")]
    assign_roles(speakers, [utterance("S0", "Thank you for calling Northwind, how can I help?", 0)], RoleSettings())
    assert speakers[0].role == "agent" and speakers[0].role_confidence > 0.5 and speakers[0].role_evidence


def word(start, end, text, track=0, speaker=None):
    return Word(start=start, end=end, text=text, probability=1.0, track=track, speaker=speaker)


def test_words_take_the_speaker_of_the_exclusive_turn_they_fall_in():
    segment = Segment(track=0, start=0, end=6, text="", avg_logprob=0, no_speech_prob=0,
                      words=[word(0.1, 0.5, "a"), word(1.9, 2.3, "b"), word(2.9, 3.2, "c"), word(5.5, 5.9, "d")])
    label_words_by_turns([segment], [(0.0, 2.0, "A"), (2.0, 3.0, "B"), (3.5, 5.0, "A")])
    assert [w.speaker for w in segment.words] == ["A", "B", "B", "A"]


def test_overtalk_records_who_barged_in():
    words = [word(0, 2, "long", speaker="agent"), word(1.5, 2.5, "but", speaker="customer"),
             word(3, 4, "ok", speaker="agent")]
    overtalk = find_overtalk(speech_intervals(words))
    assert len(overtalk) == 1
    assert (overtalk[0].start, overtalk[0].end, overtalk[0].initiated_by) == (1.5, 2.0, "customer")


def test_an_overlap_of_exactly_the_minimum_is_overtalk():
    """Word times are in milliseconds: 30.12 to 30.32 is 0.2 s of overlap, though 30.32 - 30.12 < 0.2 in floats."""
    words = [word(29.72, 30.32, "correction.", speaker="agent"), word(30.12, 30.41, "No,", speaker="customer")]
    assert [o.initiated_by for o in find_overtalk(speech_intervals(words), min_seconds=0.2)] == ["customer"]
    assert find_overtalk(speech_intervals(words), min_seconds=0.201) == []


def test_bleed_words_are_dropped_but_real_overtalk_stays():
    rate = 16000
    rng = np.random.default_rng(0)
    loud = lambda n: (0.3 * rng.standard_normal(n)).astype(np.float32)  # noqa: E731
    left = np.concatenate([loud(rate * 2), np.zeros(rate * 2, np.float32)])
    right = np.concatenate([left[: rate * 2] * 10 ** (-30 / 20), loud(rate * 2)])
    right[rate: rate * 2] += loud(rate)  # the customer really talks over the agent in second 1-2
    segments = [
        Segment(track=0, start=0, end=2, text="agent words", avg_logprob=0, no_speech_prob=0,
                words=[word(0.1, 0.8, "agent", 0), word(1.0, 1.8, "words", 0)]),
        Segment(track=1, start=0, end=4, text="echo real reply", avg_logprob=0, no_speech_prob=0,
                words=[word(0.1, 0.8, "echo", 1), word(1.1, 1.8, "real", 1), word(2.5, 3.0, "reply", 1)]),
    ]
    kept, dropped = drop_bleed(segments, [left, right], margin_db=15)
    assert dropped == 1
    assert [w.text for s in kept for w in s.words] == ["agent", "words", "real", "reply"]
    assert kept[1].text == "real reply"
