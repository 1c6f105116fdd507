"""Call metrics on hand-built conversations; every expected value is worked out by hand below."""

from __future__ import annotations

import pytest

from callscope.conversation import (Conversation, Overtalk, Processing, Source, Speaker, Turn, Utterance,
                                    Word)
from callscope.pipeline.metrics import call_metrics


def utterance(speaker: str, role: str, words: list[tuple[str, float, float]]) -> Utterance:
    return Utterance(speaker=speaker, role=role, start=words[0][1], end=words[-1][2],
                     text=" ".join(w for w, _, _ in words),
                     words=[Word(start=a, end=b, text=w, probability=1.0, speaker=speaker) for w, a, b in words])


def conversation(utterances: list[Utterance], duration: float, speakers: list[Speaker] = (),
                 turns: list[Turn] = (), overtalk: list[Overtalk] = ()) -> Conversation:
    source = Source(path="call.wav", sha256="0" * 64, size_bytes=1, container="wav", codec="pcm_s16le",
                    sample_rate=8000, channels=1, duration=duration, layout="mono")
    processing = Processing(callscope_version="test", asr_model="none", config_hash="test", created_at="now")
    return Conversation(id="call", source=source, duration=duration, speakers=list(speakers),
                        utterances=utterances, turns=list(turns), overtalk=list(overtalk), processing=processing)


@pytest.fixture
def call() -> Conversation:
    """A (agent) and C (customer): C barges in on A's question at 9.6 s and keeps talking (an
    interruption); A says "Mm." over C at 13.0 s and stops first (overtalk, no interruption).
    Silences: 0.5 s, 4.5 s (3.5-8.0), 0.6 s, 4.0 s (16.0-20.0); the call ends 4 s after the last word."""
    utterances = [
        utterance("A", "agent", [("Hello,", 0.0, 0.5), ("how", 0.5, 0.8), ("can", 0.8, 1.0), ("I", 1.0, 1.1),
                                 ("help?", 1.1, 1.5)]),
        utterance("C", "customer", [("My", 2.0, 2.3), ("parcel", 2.3, 2.8), ("is", 2.8, 3.0), ("late.", 3.0, 3.5)]),
        utterance("A", "agent", [("Sorry.", 8.0, 8.6), ("Can", 8.6, 8.9), ("I", 8.9, 9.0), ("have", 9.0, 9.2),
                                 ("your", 9.2, 9.4), ("name?", 9.4, 10.0)]),
        utterance("C", "customer", [("No,", 9.6, 10.0), ("I", 10.0, 10.2), ("want", 10.2, 10.5), ("a", 10.5, 10.6),
                                    ("manager.", 10.6, 11.4)]),
        utterance("C", "customer", [("It", 12.0, 12.4), ("was", 12.4, 12.8), ("due", 12.8, 13.2), ("on", 13.2, 13.6),
                                    ("Monday", 13.6, 14.4), ("and", 14.4, 14.8), ("nothing", 14.8, 15.4),
                                    ("came.", 15.4, 16.0)]),
        utterance("A", "agent", [("Mm.", 13.0, 13.4)]),
        utterance("A", "agent", [("I'll", 20.0, 20.5), ("check.", 20.5, 21.0)]),
    ]
    turns = [Turn(start=a, end=b, speaker=s) for a, b, s in [
        (0.0, 1.5, "A"), (2.0, 3.5, "C"), (8.0, 10.0, "A"), (9.6, 11.4, "C"), (12.0, 16.0, "C"), (13.0, 13.4, "A"),
        (20.0, 21.0, "A")]]
    overtalk = [Overtalk(start=9.6, end=10.0, speakers=["A", "C"], initiated_by="C"),
                Overtalk(start=13.0, end=13.4, speakers=["A", "C"], initiated_by="A")]
    speakers = [Speaker(id="A", role="agent"), Speaker(id="C", role="customer")]
    return conversation(utterances, 25.0, speakers, turns, overtalk)


def test_talk_time_ratio_and_speech_rate(call):
    m = call_metrics(call)
    assert m.handle_seconds == 25.0
    # agent words: 1.5 + 2.0 + 0.4 + 1.0 s; customer: 1.5 + 1.8 + 4.0 s
    assert m.talk_seconds == {"agent": 4.9, "customer": 7.3}
    assert m.agent_talk_ratio == 0.402                          # 4.9 / 12.2
    assert m.words_per_minute == {"agent": 171.4, "customer": 139.7}   # 14 words / 4.9 s, 17 / 7.3 s
    assert m.longest_monologue == {"agent": 2.0, "customer": 4.0}    # 8.0-10.0 and 12.0-16.0
    assert m.agent_questions == 2                               # "...help?" and "...name?"


def test_silences_over_the_threshold_are_non_talk_time(call):
    m = call_metrics(call)
    assert (m.non_talk_seconds, m.silences) == (8.5, 2)         # 4.5 + 4.0; the 0.5 and 0.6 s gaps are not
    assert (m.longest_silence, m.longest_silence_at) == (4.5, 3.5)
    stricter = call_metrics(call, silence_threshold=4.2)
    assert (stricter.non_talk_seconds, stricter.silences) == (4.5, 1)


def test_overtalk_share_and_interruptions(call):
    m = call_metrics(call)
    assert (m.overtalk_count, m.overtalk_seconds) == (2, 0.8)
    assert m.overtalk_agent_share == 0.5                        # one of the two started by the agent
    # C barged in at 9.6 and held the floor to 11.4: an interruption. A's "Mm." ended first: not one.
    assert m.interruptions == {"agent": 0, "customer": 1}


def test_without_known_roles_or_speech():
    unknown = conversation([utterance("S", "unknown", [("Hello", 1.0, 1.5), ("there.", 5.0, 5.5)])], 6.0)
    m = call_metrics(unknown)
    assert m.talk_seconds == {"unknown": 1.0} and m.agent_talk_ratio is None
    assert (m.non_talk_seconds, m.silences, m.longest_silence) == (3.5, 1, 3.5)   # gaps are between words
    assert m.overtalk_agent_share is None and m.interruptions == {"unknown": 0}

    empty = call_metrics(conversation([], 3.0))
    assert empty.talk_seconds == {} and empty.agent_talk_ratio is None
    assert (empty.longest_silence, empty.longest_silence_at, empty.agent_questions) == (0.0, None, 0)


def test_text_only_utterances_count_their_span_and_words():
    text_only = Utterance(speaker="A", role="agent", start=0.0, end=3.0, text="Can I take your account number?")
    m = call_metrics(conversation([text_only], 3.0))
    assert m.talk_seconds == {"agent": 3.0}
    assert m.words_per_minute == {"agent": 120.0}               # 6 words in 3 s
    assert m.agent_questions == 1
