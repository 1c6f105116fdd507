"""Transcribe: faster-whisper on each track, with VAD and word timestamps.

Silero VAD underrates some voices on phone lines (band-limited, G.711, some speakers): their loud frames
get speech probabilities of 0.3-0.5, and its usual threshold 0.5 drops whole replies. Others it hears
clearly (probabilities 0.7-0.95), and there a low threshold only lets in line noise that Whisper turns into
words. With `vad_threshold: auto` each track gets the threshold that suits it, from the median probability
Silero gives its loud frames (docs/real_speech.md has the measurements)."""

from __future__ import annotations

import math
import os
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from callscope import registry
from callscope.config import AsrSettings
from callscope.conversation import Segment, Word
from callscope.errors import ModelError
from callscope.pipeline import heap
from callscope.pipeline.audio import SAMPLE_RATE
from callscope.pipeline.idle import Idle
from callscope.pipeline.long_audio import pieces
from callscope.pipeline.recover import FRAME, loud_frames


@dataclass
class TrackTranscript:
    """Whisper's output for one track."""

    segments: list[Segment]
    language: str | None
    language_probability: float | None
    speech_seconds: float
    vad_threshold: float | None = None    # the VAD threshold used (None: no VAD)


RANDOM_SEED = 0
LOG_PROB_THRESHOLD, NO_SPEECH_THRESHOLD = -1.0, 0.6   # faster-whisper's defaults
COMPRESSION_RATIO_THRESHOLD = 2.4                       # faster-whisper's default: above it, a repetition loop
TOKENS_PER_SECOND = 10       # more than a second of the fastest speech takes (words and timestamps)
MAX_NEW_TOKENS = 220         # per 30 s window: openai-whisper's 224, less a hotword prompt's overflow


def whisper_options(settings: AsrSettings) -> dict:
    """Keyword arguments for `WhisperModel.transcribe`; `settings.hotwords` (company and product
    names) are given to Whisper as hints in every 30 s window."""
    return {
        "hotwords": " ".join(settings.hotwords) or None,
        "language": settings.language,
        "beam_size": settings.beam_size,
        "vad_filter": settings.vad,
        "vad_parameters": {"threshold": settings.vad_threshold_clear if settings.vad_threshold == "auto"
                           else settings.vad_threshold, "min_silence_duration_ms": settings.vad_min_silence_ms},
        "word_timestamps": True,
        "condition_on_previous_text": settings.condition_on_previous_text,
    }


SILERO_WINDOW = 512     # samples per Silero speech probability


def voice_clarity(samples: np.ndarray) -> float:
    """Median Silero speech probability over the loud frames (recover.loud_frames) of 16 kHz audio;
    1.0 when no frame is loud."""
    loud = np.flatnonzero(loud_frames(samples))
    if loud.size == 0:
        return 1.0
    probabilities = silero_probabilities(samples)
    windows = ((loud + 0.5) * FRAME * SAMPLE_RATE / SILERO_WINDOW).astype(int).clip(0, probabilities.size - 1)
    return float(np.median(probabilities[windows]))


SILERO_BATCH, SILERO_CONTEXT = 10000, 64    # windows per run of the model, samples of context: faster-whisper's


def silero_probabilities(samples: np.ndarray) -> np.ndarray:
    """Silero's speech probability per SILERO_WINDOW samples of 16 kHz audio, exactly as faster-whisper's
    `get_vad_model()(padded samples)` gives them, built SILERO_BATCH windows at a time (faster-whisper
    builds the windows of the whole track at once: 1.1 GB for 2 hours)."""
    from faster_whisper.vad import get_vad_model

    session = get_vad_model().session
    count = len(samples) // SILERO_WINDOW + 1                       # the track padded with 1-512 zeros
    state = np.zeros((1, 1, 128), np.float32), np.zeros((1, 1, 128), np.float32)
    outputs = []
    for first in range(0, count, SILERO_BATCH):
        last = min(first + SILERO_BATCH, count)
        begin = first * SILERO_WINDOW - SILERO_CONTEXT                # each window follows the previous one's
        chunk = samples[max(begin, 0): last * SILERO_WINDOW].astype(np.float32)   # last 64 samples
        chunk = np.pad(chunk, (max(-begin, 0), SILERO_CONTEXT + (last - first) * SILERO_WINDOW - len(chunk)
                                - max(-begin, 0)))
        if last == count:
            chunk[-SILERO_CONTEXT:] = 0      # faster-whisper zeroes the track's last 64 samples (in place)
        windows = np.lib.stride_tricks.sliding_window_view(chunk, SILERO_CONTEXT + SILERO_WINDOW)[::SILERO_WINDOW]
        output, *state = session.run(None, {"input": np.ascontiguousarray(windows), "h": state[0], "c": state[1]})
        outputs.append(output)
    return np.concatenate(outputs).reshape(-1)


def vad_threshold(settings: AsrSettings, samples: np.ndarray) -> float:
    """The VAD threshold for one track: the setting, or with "auto" the clear or faint one by voice_clarity."""
    if settings.vad_threshold != "auto":
        return settings.vad_threshold
    clear = voice_clarity(samples) >= settings.vad_clear_probability
    return settings.vad_threshold_clear if clear else settings.vad_threshold_faint


class SamplingWatch:
    """CTranslate2's Whisper model, noting whether `generate` sampled (Whisper's temperature fallback).

    CTranslate2 draws those samples from a generator per worker thread, seeded from
    `ctranslate2.set_random_seed` when that thread first samples and never again: after a fallback, the
    model's next fallback depends on what it heard before."""

    def __init__(self, model):
        self.model, self.sampled = model, False

    def generate(self, *args, **kwargs):
        self.sampled = self.sampled or kwargs.get("sampling_topk", 1) != 1
        return self.model.generate(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.model, name)


class FirstWindowOnce:
    """`WhisperModel.encode` that gives its last output again for the same single window: sequential
    faster-whisper 1.2 encodes a track's first 30 s twice, to detect its language and to decode it
    (1.1 CPU s per track for `base`, int8, one thread). Equal inputs, so equal outputs."""

    def __init__(self, encode):
        self.encode = encode
        self.last: tuple[np.ndarray, object] | None = None

    def __call__(self, features: np.ndarray):
        if self.last is not None and np.array_equal(self.last[0], features):
            output, self.last = self.last[1], None
            return output
        output = self.encode(features)
        self.last = (np.array(features), output) if features.ndim == 2 else None   # batches are never repeated
        return output


@contextmanager
def first_window_once(whisper):
    """`whisper` encoding a track's first window once (FirstWindowOnce) while the block runs; the model
    is plain faster-whisper again afterwards (benchmarks compare against it)."""
    whisper.encode = FirstWindowOnce(whisper.encode)
    try:
        yield whisper
    finally:
        del whisper.encode


def load_whisper(settings: AsrSettings, jobs: int = 1):
    """Load the ASR model for one of `jobs` concurrent transcriptions: one CTranslate2 worker thread,
    its sampling watched (SamplingWatch)."""
    import ctranslate2
    from faster_whisper import WhisperModel

    # Whisper falls back to sampling when a beam-search window looks wrong (repetitive or
    # unlikely). A fixed seed makes that sampling, hence the transcript, the same on every run.
    ctranslate2.set_random_seed(RANDOM_SEED)
    path = registry.resolve(settings.model)
    threads = settings.cpu_threads or max(1, (os.cpu_count() or 1) // jobs)
    try:
        model = WhisperModel(path, device="cpu", compute_type=settings.compute_type, cpu_threads=threads)
    except Exception as exc:  # CTranslate2 and the hub client raise many types
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelError(f"model '{settings.model}': cannot be loaded ({reason})") from None
    model.model = SamplingWatch(model.model)
    return model


class Transcriber:
    """Loaded Whisper models and the options every call uses.

    Every transcription gets a model of its own whose sampling generator is as fresh as after loading
    (a model that sampled is replaced by a newly loaded one, about 0.5 s, only after a fallback), so a
    track's words never depend on what was transcribed before it or beside it (--jobs, cluster)."""

    def __init__(self, settings: AsrSettings, jobs: int = 1):
        self.settings = settings
        self.model = load_whisper(settings, jobs)     # also the plain faster-whisper of benchmarks and tests
        self._models = Idle(lambda: load_whisper(settings, jobs), usable=lambda model: not model.model.sampled)
        self._models.add(self.model)
        self.options = whisper_options(settings)

    def options_for(self, samples: np.ndarray) -> dict:
        """`self.options` with the VAD threshold for this 16 kHz track (see vad_threshold)."""
        if not self.settings.vad:
            return self.options
        parameters = {**self.options["vad_parameters"], "threshold": vad_threshold(self.settings, samples)}
        return {**self.options, "vad_parameters": parameters}

    def transcribe(self, samples: np.ndarray, track: int, one_party: bool = False) -> TrackTranscript:
        """Segments with words for one 16 kHz track; `one_party`: the track carries one party's voice (a
        stereo channel), which `batch_size` decodes batched."""
        options = self.options_for(samples)
        threshold = options["vad_parameters"]["threshold"] if self.settings.vad else None
        result, speech, language, probability = [], 0.0, None, None
        for begin, end in pieces(samples):   # a long track piece by piece (long_audio.py)
            with self._models.lend() as whisper, first_window_once(whisper):
                segments, info = self._decode(whisper, samples[begin:end],
                                              {**options, "language": language or options["language"]}, one_party)
                found = _segments(segments, track, begin / SAMPLE_RATE)
            heap.trim()     # Whisper's freed buffers of this piece (features, encoder batches): heap.py
            speech += info.duration_after_vad if self.settings.vad else info.duration
            if language is None and (found or self.settings.language):
                language, probability = info.language, round(info.language_probability, 4)
            result += found
        return TrackTranscript(result, language, probability, round(speech, 3), threshold)

    def _decode(self, whisper, samples: np.ndarray, options: dict, one_party: bool):
        """Whisper's segments and info for 16 kHz audio: for one party's track with `batch_size` set (and
        VAD on), the VAD's speech chunks decoded `batch_size` at a time at temperature 0 only, so nothing
        is sampled; else Whisper's sequential windows (two parties on one track lose words batched)."""
        if not (one_party and self.settings.batch_size and self.settings.vad):
            return whisper.transcribe(samples, **options)
        from faster_whisper import BatchedInferencePipeline

        return BatchedInferencePipeline(whisper).transcribe(samples, batch_size=self.settings.batch_size, **options)

    def transcribe_without_vad(self, samples: np.ndarray, track: int, language: str | None) -> list[Segment]:
        """Segments of 16 kHz audio heard without VAD, in `language` (None: detected), decoded at
        temperature 0 only, at most `new_tokens` a window, keeping the segments Whisper is `sure` of."""
        options = {**self.options, "vad_filter": False, "language": language or self.settings.language,
                   "temperature": 0.0}   # no fallback: a sampled guess is not one Whisper is sure of
        found = []
        for begin, end in pieces(samples):
            with self._models.lend() as whisper:
                segments, _ = whisper.transcribe(samples[begin:end], max_new_tokens=new_tokens(end - begin), **options)
                found += _segments([s for s in segments if sure(s)], track, begin / SAMPLE_RATE)
        return found


def new_tokens(samples: int) -> int:
    """The most tokens Whisper may write per window of `samples` 16 kHz samples heard without VAD: as
    many as speech could need (TOKENS_PER_SECOND), so that a repetition loop stops there rather than at
    faster-whisper's 448 (on the real call MUL1011, 6 s of audio took 13 CPU s and gave 112 words)."""
    return min(MAX_NEW_TOKENS, math.ceil(TOKENS_PER_SECOND * min(samples / SAMPLE_RATE, 30.0)))


def sure(segment) -> bool:
    """Whether Whisper is sure of a faster-whisper segment decoded at temperature 0 only: average
    log-probability and no-speech probability within its thresholds (faster-whisper drops a segment
    only when both fail), and not a repetition loop (compression ratio within its threshold)."""
    return (segment.avg_logprob >= LOG_PROB_THRESHOLD and segment.no_speech_prob <= NO_SPEECH_THRESHOLD
            and segment.compression_ratio <= COMPRESSION_RATIO_THRESHOLD)


def _segments(segments, track: int, offset: float = 0.0) -> list[Segment]:
    """faster-whisper's segments as ours, without empty words; times shifted by `offset` seconds."""
    return [
        Segment(
            track=track,
            start=round(seg.start + offset, 3),
            end=round(seg.end + offset, 3),
            text=seg.text.strip(),
            avg_logprob=round(seg.avg_logprob, 4),
            no_speech_prob=round(seg.no_speech_prob, 4),
            words=[
                Word(start=round(w.start + offset, 3), end=round(w.end + offset, 3), text=w.word.strip(),
                     probability=round(w.probability, 4), track=track)
                for w in (seg.words or []) if w.word.strip()
            ],
        )
        for seg in segments
    ]
