"""Utterance grouping and the TXT/SRT/VTT renderings."""

from callscope.config import OutputSettings
from callscope.conversation import Conversation, Processing, Source, Word, join_words
from callscope.pipeline.align import build_utterances, talk_seconds, track_speakers
from callscope.writers import timestamp, to_srt, to_txt, to_vtt


def word(start: float, end: float, text: str, track: int) -> Word:
    return Word(start=start, end=end, text=text, probability=0.9, track=track, speaker=f"SPEAKER_{track:02d}")


def conversation(words: list[Word]) -> Conversation:
    speakers = track_speakers(2, "stereo", {0: "agent", 1: "customer"})
    utterances = build_utterances(words, speakers)
    talk_seconds(utterances, speakers)
    source = Source(path="x.wav", sha256="0", size_bytes=1, container="wav", codec="pcm", sample_rate=8000,
                    channels=2, duration=10, layout="stereo")
    return Conversation(id="x", source=source, duration=10, speakers=speakers, utterances=utterances,
                        processing=Processing(callscope_version="0", asr_model="m", config_hash="h", created_at="t"))


def test_backchannel_inside_a_turn_does_not_split_it():
    words = [word(0.0, 0.4, "I", 0), word(0.5, 0.9, "can", 0), word(0.6, 0.8, "yeah", 1),
             word(1.0, 1.4, "help.", 0), word(2.0, 2.5, "Thanks.", 1)]
    conv = conversation(words)
    assert [(u.role, u.text) for u in conv.utterances] == [
        ("agent", "I can help."), ("customer", "yeah"), ("customer", "Thanks.")]


def test_turn_taking_splits_utterances_and_talk_time_adds_up():
    words = [word(0, 1, "Hello.", 0), word(1.5, 2, "Hi.", 1), word(2.5, 3, "How", 0), word(3, 3.5, "are", 0)]
    conv = conversation(words)
    assert [u.text for u in conv.utterances] == ["Hello.", "Hi.", "How are"]
    assert {s.role: s.talk_seconds for s in conv.speakers} == {"agent": 2.0, "customer": 0.5}


def test_mono_speakers_have_unknown_role():
    assert track_speakers(1, "mono", {0: "agent"})[0].role == "unknown"


def test_timestamps():
    assert timestamp(3723.4567) == "01:02:03.457"
    assert timestamp(1.5, ",") == "00:00:01,500"


def test_srt_vtt_txt_layout_and_escaping():
    words = [word(0.0, 0.5, "<b>Hi</b>", 0), word(0.6, 1.0, "&", 0), word(1.5, 2.0, "ok", 1)]
    conv = conversation(words)
    settings = OutputSettings()
    assert to_txt(conv) == ("[00:00:00.000 - 00:00:01.000] Agent: <b>Hi</b> &\n"
                            "[00:00:01.500 - 00:00:02.000] Customer: ok\n")
    assert to_srt(conv, settings).startswith("1\n00:00:00,000 --> 00:00:01,000\n[Agent] <b>Hi</b> &\n\n2\n")
    vtt = to_vtt(conv, settings)
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n<v Agent>&lt;b&gt;Hi&lt;/b&gt; &amp;\n")


def test_long_utterances_are_cut_into_cues():
    words = [word(i * 0.5, i * 0.5 + 0.4, f"w{i}", 0) for i in range(40)]
    srt = to_srt(conversation(words), OutputSettings(max_cue_seconds=5.0))
    assert srt.count("-->") == 4


def test_split_words_are_written_back_together():
    """Whisper's word list splits elisions, inverted questions and digit groups ("qu" + "'on")."""
    said = ["Bonjour,", "je", "n", "'ai", "pas", "reçu", "mon", "colis,", "pouvez", "-vous", "vérifier", "?",
            "C", "'est", "20", ",000", "euros."]
    conv = conversation([word(i * 0.3, i * 0.3 + 0.25, text, 1) for i, text in enumerate(said)])
    expected = "Bonjour, je n'ai pas reçu mon colis, pouvez-vous vérifier? C'est 20,000 euros."
    assert [u.text for u in conv.utterances] == [expected]
    assert to_txt(conv).endswith(f"Customer: {expected}\n")
    assert join_words(["a", "b"]) == "a b" and join_words([]) == ""
