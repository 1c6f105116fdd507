"""Word times on stereo: each word trimmed to where its own channel carries a voice (generated audio)."""

import numpy as np
import pytest

from callscope.conversation import Segment, Word
from callscope.pipeline.align import find_overtalk, label_words, speech_intervals
from callscope.pipeline.recover import own_voices
from callscope.pipeline.word_times import trim_to_own_voice
from tests.test_recover import noise, place, voice


def word(start: float, end: float, text: str, track: int) -> Word:
    return Word(start=start, end=end, text=text, probability=0.9, track=track)


def segment(*words: Word) -> Segment:
    return Segment(track=words[0].track, start=words[0].start, end=words[-1].end, avg_logprob=-0.3,
                   no_speech_prob=0.1, text=" ".join(w.text for w in words), words=list(words))


def two_channels(seconds: float = 6.0) -> tuple[np.ndarray, np.ndarray]:
    return noise(seconds, -55, 0), noise(seconds, -55, 1)


def test_a_word_stretched_into_the_other_partys_turn_ends_where_its_voice_ends():
    agent, customer = two_channels()
    place(agent, 1.0, voice(1.0, 1))            # the agent speaks 1.0-2.0 s
    place(customer, 2.2, voice(1.5, 2))         # the customer answers 2.2-3.7 s
    stretched = word(1.5, 3.0, "fine", 0)       # Whisper stretched the agent's last word to 3.0 s
    segments = [segment(word(1.0, 1.5, "I'm", 0), stretched), segment(word(2.3, 3.0, "good", 1))]
    assert trim_to_own_voice(segments, own_voices([agent, customer], bleed_margin_db=15)) == 1
    assert (stretched.start, stretched.end) == (1.5, pytest.approx(2.0, abs=0.03))
    assert segments[0].end == stretched.end and (segments[1].words[0].start, segments[1].words[0].end) == (2.3, 3.0)
    label_words(segments)
    assert find_overtalk(speech_intervals(w for s in segments for w in s.words)) == []   # 0.7 s before


def test_the_other_partys_bleed_is_not_a_words_voice_but_real_overtalk_is():
    agent, customer = two_channels()
    agent_voice = voice(1.0, 1)
    place(agent, 1.0, agent_voice)
    place(customer, 1.0, agent_voice * 10 ** (-20 / 20))   # the agent heard through at -20 dB
    place(customer, 1.6, voice(0.4, 3))                    # the customer talks over the agent, 1.6-2.0 s
    over = word(1.0, 2.0, "wait", 1)
    trim_to_own_voice([segment(over)], own_voices([agent, customer], bleed_margin_db=15))
    assert (over.start, over.end) == (pytest.approx(1.6, abs=0.03), pytest.approx(2.0, abs=0.03))


def test_a_word_over_two_voiced_runs_takes_the_longer_one_and_one_over_silence_keeps_its_times():
    agent, customer = two_channels()
    place(agent, 1.0, voice(0.6, 1))
    place(agent, 2.4, voice(0.2, 2))
    place(customer, 4.0, voice(1.0, 3))
    split, silent = word(1.0, 2.6, "is", 0), word(3.5, 3.8, "oh", 0)
    segments = [segment(split), segment(silent)]
    assert trim_to_own_voice(segments, own_voices([agent, customer], bleed_margin_db=15)) == 1
    assert (split.start, split.end) == (1.0, pytest.approx(1.6, abs=0.03))
    assert (silent.start, silent.end) == (3.5, 3.8)


def test_one_track_is_left_as_it_is():
    track = noise(3, -55, 0)
    place(track, 1.0, voice(0.5, 1))
    stretched = word(1.0, 2.5, "okay", 0)
    assert trim_to_own_voice([segment(stretched)], own_voices([track], bleed_margin_db=15)) == 0
    assert (stretched.start, stretched.end) == (1.0, 2.5)
