"""The phone development set's diarisation reference (benchmarks/phone_devset.py) on generated tracks."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from phone_devset import PHONE_RATE, RATE, Placed, Utterance, spoken_turns, voice_turns  # noqa: E402


def tone(seconds: float, rate: int = RATE) -> np.ndarray:
    return (0.1 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def test_other_voice_inside_a_clip_goes_to_the_other_party():
    # party A's 4 s clip: its own voice 0-3 s, the other party's back-channel 2.5-3.5 s (by the source's turns)
    clip = Utterance(tone(4.0), None, "a", voices=[(True, 0.0, 3.0), (False, 2.5, 3.5)])
    reply = Utterance(tone(2.0), None, "b")
    own, other = voice_turns([Placed(0, 1.0, clip), Placed(1, 5.5, reply)])
    assert own == [("A", 1.0, 4.0), ("B", 5.5, 7.5)]
    assert other == [("B", 3.5, 4.5)]


def test_reference_speech_keeps_a_turn_only_where_its_track_is_active():
    track = (1e-4 * np.random.default_rng(0).standard_normal(8 * PHONE_RATE)).astype(np.float32)  # line hiss
    track[PHONE_RATE: 2 * PHONE_RATE] = tone(1.0, PHONE_RATE)       # speech 1-2 s
    track[4 * PHONE_RATE: 5 * PHONE_RATE] = tone(1.0, PHONE_RATE)   # speech 4-5 s
    silent = np.zeros_like(track)
    speech = spoken_turns([("A", 0.5, 6.0)], {"A": track, "B": silent}, PHONE_RATE)
    assert [(who, round(a, 2), round(b, 2)) for who, a, b in speech] == [("A", 1.0, 2.0), ("A", 4.0, 5.0)]
