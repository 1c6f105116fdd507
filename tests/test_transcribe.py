"""Transcription with the real bundled Whisper base model on the sample calls."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from faster_whisper import BatchedInferencePipeline, decode_audio
from typer.testing import CliRunner

from callscope.cli import app

from callscope.evaluation.asr import normalise, word_error_rate
from callscope.files import sha256_file
from callscope.pipeline.audio import SAMPLE_RATE, load_audio
from callscope.pipeline.ingest import InputFile
from callscope.pipeline.loaded import processor_for
from callscope.pipeline.transcribe import MAX_NEW_TOKENS, Transcriber, new_tokens, sure
from tests.conftest import conversation_of, sample_audio, write_wav


def first_seconds(call_id: str, folder, seconds: float):
    audio = load_audio(sample_audio(call_id), "sha")
    return write_wav(folder / f"{call_id}.wav", np.stack([t[: int(seconds * 16000)] for t in audio.tracks]))


def transcribe(path, processor):
    return processor.process(InputFile(path, path.stem), sha256_file(path))


@pytest.mark.slow
def test_pipeline_gives_exactly_what_faster_whisper_gives(tmp_path, settings):
    heard = settings.model_copy(deep=True)     # the words as heard: redaction (names too) is a later stage
    heard.output.redact, heard.enrich.enabled = False, False
    processor = processor_for(heard)
    path = first_seconds("refund_request", tmp_path, 25)
    ours = transcribe(path, processor)
    whisper = processor.transcriber
    samples = decode_audio(str(path))
    segments, _ = whisper.model.transcribe(samples, **whisper.options_for(samples))
    plain = [w.word.strip() for s in segments for w in s.words]
    assert [w.text for w in ours.words()] == plain and len(plain) > 30


@pytest.mark.slow
def test_a_tracks_first_window_is_encoded_once_for_the_same_words(settings, monkeypatch):
    """Sequential faster-whisper encodes a track's first 30 s twice (to detect its language, then to
    decode it); callscope encodes it once and hears exactly the same words, and the model it lent is
    plain faster-whisper again afterwards."""
    from faster_whisper import WhisperModel

    encoded = []
    encode = WhisperModel.encode
    monkeypatch.setattr(WhisperModel, "encode", lambda model, features: encoded.append(1) or encode(model, features))
    samples = decode_audio(str(sample_audio("identity_check")))     # mono, 65 s: three windows
    transcriber = Transcriber(settings.asr.model_copy(update={"language": None}))
    ours = [(w.text, w.start, w.end) for s in transcriber.transcribe(samples, 0).segments for w in s.words]
    ours_encoded, encoded[:] = len(encoded), []
    segments, info = transcriber.model.transcribe(samples, **transcriber.options_for(samples))
    plain = [(w.word.strip(), round(w.start, 3), round(w.end, 3)) for s in segments for w in s.words]
    assert info.language == "en" and len(plain) > 60
    assert ours == plain and ours_encoded == len(encoded) - 1 >= 2


@pytest.mark.slow
def test_batched_decoding_gives_timed_words_and_the_same_words_twice(tmp_path, settings, monkeypatch):
    """asr.batch_size: the VAD's chunks of one party's track decoded together give the call's words with
    times, the same again after another call, and nothing sampled (so no model is replaced); a track of
    two parties is decoded sequentially."""
    batched_calls = []
    decode = BatchedInferencePipeline.transcribe
    monkeypatch.setattr(BatchedInferencePipeline, "transcribe",
                        lambda pipeline, *args, **kwargs: batched_calls.append(kwargs["batch_size"]) or
                        decode(pipeline, *args, **kwargs))
    samples = decode_audio(str(first_seconds("refund_request", tmp_path, 25)))
    transcriber = Transcriber(settings.asr.model_copy(update={"batch_size": 4}))

    def words(audio):
        return [(w.text, w.start, w.end) for s in transcriber.transcribe(audio, 0, one_party=True).segments
                for w in s.words]

    first = words(samples)
    words(decode_audio(str(first_seconds("upgrade_purchase", tmp_path, 20))))
    assert words(samples) == first and not transcriber.model.model.sampled and batched_calls == [4, 4, 4]
    transcriber.transcribe(samples, 0)          # a mono track (both parties): Whisper's sequential windows
    assert batched_calls == [4, 4, 4]
    assert len(first) > 30 and all(0 <= start <= end <= 25.5 for _, start, end in first)
    assert all(a[1] <= b[1] for a, b in zip(first, first[1:]))
    truth = json.loads(sample_audio("refund_request").with_suffix(".json").read_text())
    reference = " ".join(t["text"] for t in truth["turns"] if t["end"] <= 25)
    assert word_error_rate([reference], [" ".join(text for text, _, _ in first)])["wer"] < 0.25


@pytest.mark.slow
def test_stereo_call_is_transcribed_per_channel_with_word_times(sample_run):
    truth = json.loads(sample_audio("lost_card").with_suffix(".json").read_text())
    conversation = conversation_of(sample_run, "lost_card")
    assert conversation.source.layout == "stereo" and [t.label for t in conversation.tracks] == ["left", "right"]
    assert all(t.language == "en" and t.speech_seconds > 10 for t in conversation.tracks)
    for track in (0, 1):
        words = [w for s in conversation.segments if s.track == track for w in s.words]
        assert words and all(0 <= w.start <= w.end <= conversation.duration + 0.5 for w in words)
        assert all(a.start <= b.start for a, b in zip(words, words[1:]))
    roles = {u.role for u in conversation.utterances}
    assert roles == {"agent", "customer"}
    agent_words = " ".join(u.text for u in conversation.utterances if u.role == "agent")
    assert "northwind" in normalise(agent_words) or "calling" in normalise(agent_words)
    assert word_error_rate([" ".join(t["text"] for t in truth["turns"])], [conversation.text()])["wer"] < 0.8


@pytest.mark.slow
def test_french_call_is_detected_as_french(tmp_path, processor):
    conversation = transcribe(first_seconds("french_delivery", tmp_path, 30), processor)
    assert conversation.language == "fr" and conversation.tracks[0].language_probability > 0.5


@pytest.mark.slow
def test_clear_mono_call_accuracy(sample_run):
    truth = json.loads(sample_audio("refund_request").with_suffix(".json").read_text())
    conversation = conversation_of(sample_run, "refund_request")
    reference = " ".join(t["text"] for t in truth["turns"])
    assert word_error_rate([reference], [conversation.text()])["wer"] < 0.25


@pytest.mark.slow
def test_eval_asr_json(tmp_path):
    first_seconds("refund_request", tmp_path, 20)
    first_seconds("upgrade_purchase", tmp_path, 20)
    refs = tmp_path / "refs.tsv"
    rows = ["audio\ttext"]
    for call_id in ("refund_request", "upgrade_purchase"):
        truth = json.loads(sample_audio(call_id).with_suffix(".json").read_text())
        rows.append(f"{call_id}.wav\t" + " ".join(t["text"] for t in truth["turns"] if t["end"] <= 19.5))
    refs.write_text("\n".join(rows) + "\n")
    done = CliRunner().invoke(app, ["eval", "asr", "--refs", str(refs), "--model", "tiny.en", "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert result["n_files"] == 2 and 0 <= result["wer"] < 0.6 and result["model"] == "tiny.en"


def test_eval_asr_bad_refs(tmp_path):
    refs = tmp_path / "refs.tsv"
    refs.write_text("file\ttranscript\nx.wav\thello\n")
    done = CliRunner().invoke(app, ["eval", "asr", "--refs", str(refs)])
    assert done.exit_code == 2 and "columns 'audio' and 'text'" in done.stderr


def test_normalisation():
    assert normalise("Hello, World!  It's  “fine”.") == "hello world it's fine"
    assert normalise("Ça va? Très-bien.") == "ça va très bien"


def test_without_vad_whisper_writes_what_speech_could_need_per_window():
    """A repetition loop stops near what the audio could hold, not at faster-whisper's 448 tokens."""
    assert new_tokens(int(6.2 * SAMPLE_RATE)) == 62
    assert new_tokens(10 * 60 * SAMPLE_RATE) == MAX_NEW_TOKENS


def test_a_repetition_loop_heard_without_vad_is_not_kept():
    """The real call MUL1011's skipped speech gave "We're going to find you." five times (ratio 15.6)."""
    loop = SimpleNamespace(avg_logprob=-0.16, no_speech_prob=0.25, compression_ratio=15.6)
    assert not sure(loop)
    assert sure(SimpleNamespace(avg_logprob=-0.16, no_speech_prob=0.25, compression_ratio=1.6))
    assert not sure(SimpleNamespace(avg_logprob=-1.2, no_speech_prob=0.25, compression_ratio=1.6))
