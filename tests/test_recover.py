"""Speech the VAD skipped, heard again: stretches of speech, their coverage, and the real model on them."""

import numpy as np
import pytest

from callscope.conversation import Segment, Word
from callscope.pipeline.audio import load_audio
from callscope.pipeline.recover import (merge_stretches, own_voices, padded, recover_skipped_speech,
                                        replace_unheard, unheard, voice_stretches)
from tests.conftest import SAMPLES
from tests.test_diarise_cli import hold_music

RATE = 16000


def noise(seconds: float, dbfs: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 10 ** (dbfs / 20), int(seconds * RATE)).astype(np.float32)


def voice(seconds: float, seed: int) -> np.ndarray:
    """A voice-like burst: a 150 Hz buzz with harmonics, its loudness moving at syllable rate."""
    t = np.arange(int(seconds * RATE)) / RATE
    buzz = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 8))
    syllables = 0.6 + 0.4 * np.sin(2 * np.pi * 4 * t + seed)
    return (0.2 * buzz * syllables / np.abs(buzz).max()).astype(np.float32)


def place(track: np.ndarray, start: float, sound: np.ndarray) -> None:
    track[int(start * RATE): int(start * RATE) + len(sound)] += sound


def word(start: float, end: float, text: str, probability: float = 0.9) -> Word:
    return Word(start=start, end=end, text=text, probability=probability, track=1)


def segment(*words: Word) -> Segment:
    return Segment(track=1, start=words[0].start, end=words[-1].end, text=" ".join(w.text for w in words),
                   avg_logprob=-0.3, no_speech_prob=0.1, words=list(words))


def test_each_channel_gets_its_own_voice_not_the_other_ones_bleed():
    agent, customer = noise(8, -55, 0), noise(8, -55, 1)
    for start, seconds, own, other in ((1.0, 1.5, agent, customer), (4.0, 2.0, customer, agent)):
        sound = voice(seconds, int(start))
        place(own, start, sound)
        place(other, start, sound * 10 ** (-30 / 20))      # heard through at -30 dB
    (agent_start, agent_end), = voice_stretches(own_voices([agent, customer], bleed_margin_db=15)[0])
    (customer_start, customer_end), = voice_stretches(own_voices([agent, customer], bleed_margin_db=15)[1])
    assert agent_start == pytest.approx(1.0, abs=0.05) and agent_end == pytest.approx(2.5, abs=0.05)
    assert customer_start == pytest.approx(4.0, abs=0.05) and customer_end == pytest.approx(6.0, abs=0.05)


def test_short_pauses_join_stretches_and_short_stretches_are_left_out():
    assert merge_stretches([(3.0, 3.2), (0.0, 1.0), (1.2, 2.0)]) == [(0.0, 2.0)]


def test_a_stretch_is_unheard_when_its_words_cover_less_than_half_of_it():
    words = [word(0.0, 0.9, "covered"), word(2.0, 2.3, "partly")]
    assert unheard([(0.0, 1.0), (2.0, 3.0), (5.0, 6.0)], words) == [(2.0, 3.0), (5.0, 6.0)]


def test_padding_stops_halfway_to_the_next_stretch_so_nothing_is_heard_twice():
    assert padded([(0.1, 1.0), (1.4, 2.0)]) == [(0.0, pytest.approx(1.2)), (pytest.approx(1.2), pytest.approx(2.3))]


def test_words_heard_again_fill_empty_stretches_and_replace_less_certain_ones():
    before = [segment(word(0.0, 0.5, "Hello."), word(2.0, 2.4, "patient", 0.2)), segment(word(8.0, 8.5, "Sure", 0.95))]
    again = [segment(word(1.6, 1.9, "Thanks"), word(1.9, 2.3, "very"), word(2.3, 2.6, "much.")),
             segment(word(5.0, 5.5, "That's"), word(5.5, 5.9, "fine.")),
             segment(word(8.0, 8.5, "Shore", 0.5))]
    mended, added = replace_unheard(before, [(1.6, 2.6), (5.0, 5.9), (8.0, 8.5)], again)
    assert [s.text for s in mended] == ["Hello.", "Thanks very much.", "That's fine.", "Sure"]
    assert added == 4     # three words for "patient", two in silence; "Sure" stays (surer than "Shore")


def test_a_segment_around_words_heard_again_is_cut_so_words_stay_in_time_order():
    before = [segment(word(0.0, 0.5, "I"), word(0.5, 1.0, "see"), word(6.0, 6.5, "next."))]
    mended, added = replace_unheard(before, [(2.0, 4.0)], [segment(word(2.0, 2.5, "relief."))])
    words = [w.text for s in mended for w in s.words]
    assert words == ["I", "see", "relief.", "next."] and added == 1


@pytest.fixture(scope="module")
def transcriber(processor):
    return processor.transcriber


@pytest.mark.slow
def test_replies_the_vad_skipped_are_transcribed(transcriber):
    """lost_card's customer channel: Silero VAD hears little of this voice's relieved ending."""
    audio = load_audio(SAMPLES / "lost_card.wav", "lost_card")
    first = transcriber.transcribe(audio.tracks[1], 1)
    heard = " ".join(s.text for s in first.segments)
    speech = voice_stretches(own_voices(audio.tracks, bleed_margin_db=15)[1])
    segments, added = recover_skipped_speech(transcriber, audio.tracks[1], 1, first.language, first.segments, speech)
    again = " ".join(s.text for s in segments)
    assert "relief" not in heard and "help" not in heard
    assert added > 0 and "relief" in again and "Thanks very much for your help" in again


@pytest.mark.slow
def test_hold_music_heard_again_gives_no_words(transcriber):
    agent = noise(60, -55, 2)
    place(agent, 20.0, hold_music(20.0))
    customer = noise(60, -55, 3)
    speech = voice_stretches(own_voices([agent, customer], bleed_margin_db=15)[0])
    assert speech, "the music is loud on its channel, so it is heard again"
    segments, added = recover_skipped_speech(transcriber, agent, 0, "en", [], speech)
    assert segments == [] and added == 0
