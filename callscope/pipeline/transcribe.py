"""Transcribe: faster-whisper on each track, with VAD and word timestamps.

Silero VAD underrates some voices on phone lines (band-limited, G.711, some speakers): their loud frames
get speech probabilities of 0.3-0.5, and its usual threshold 0.5 drops whole replies. Others it hears
clearly (probabilities 0.7-0.95), and there a low threshold only lets in line noise that Whisper turns into
words. With `vad_threshold: auto` each track gets the threshold that suits it, from the median probability
Silero gives its loud frames (docs/real_speech.md has the measurements)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from callscope import registry
from callscope.config import AsrSettings
from callscope.conversation import Segment, Word
from callscope.errors import ModelError
from callscope.pipeline.audio import SAMPLE_RATE
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
    from faster_whisper.vad import get_vad_model

    loud = np.flatnonzero(loud_frames(samples))
    if loud.size == 0:
        return 1.0
    padded = np.pad(samples.astype(np.float32), (0, SILERO_WINDOW - len(samples) % SILERO_WINDOW))
    probabilities = np.asarray(get_vad_model()(padded)).reshape(-1)
    windows = ((loud + 0.5) * FRAME * SAMPLE_RATE / SILERO_WINDOW).astype(int).clip(0, probabilities.size - 1)
    return float(np.median(probabilities[windows]))


def vad_threshold(settings: AsrSettings, samples: np.ndarray) -> float:
    """The VAD threshold for one track: the setting, or with "auto" the clear or faint one by voice_clarity."""
    if settings.vad_threshold != "auto":
        return settings.vad_threshold
    clear = voice_clarity(samples) >= settings.vad_clear_probability
    return settings.vad_threshold_clear if clear else settings.vad_threshold_faint


def load_whisper(settings: AsrSettings, jobs: int = 1):
    """Load the ASR model once; `jobs` concurrent transcriptions share it."""
    import ctranslate2
    from faster_whisper import WhisperModel

    # Whisper falls back to sampling when a beam-search window looks wrong (repetitive or
    # unlikely). A fixed seed makes that sampling, hence the transcript, the same on every run.
    ctranslate2.set_random_seed(RANDOM_SEED)
    path = registry.resolve(settings.model)
    threads = settings.cpu_threads or max(1, (os.cpu_count() or 1) // jobs)
    try:
        return WhisperModel(path, device="cpu", compute_type=settings.compute_type,
                            cpu_threads=threads, num_workers=jobs)
    except Exception as exc:  # CTranslate2 and the hub client raise many types
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelError(f"model '{settings.model}': cannot be loaded ({reason})") from None


class Transcriber:
    """One loaded Whisper model and the options every call uses."""

    def __init__(self, settings: AsrSettings, jobs: int = 1):
        self.settings = settings
        self.model = load_whisper(settings, jobs)
        self.options = whisper_options(settings)

    def options_for(self, samples: np.ndarray) -> dict:
        """`self.options` with the VAD threshold for this 16 kHz track (see vad_threshold)."""
        if not self.settings.vad:
            return self.options
        parameters = {**self.options["vad_parameters"], "threshold": vad_threshold(self.settings, samples)}
        return {**self.options, "vad_parameters": parameters}

    def transcribe(self, samples: np.ndarray, track: int) -> TrackTranscript:
        """Segments with words for one 16 kHz track."""
        options = self.options_for(samples)
        threshold = options["vad_parameters"]["threshold"] if self.settings.vad else None
        segments, info = self.model.transcribe(samples, **options)
        result = _segments(segments, track)
        speech = info.duration_after_vad if self.settings.vad else info.duration
        language = info.language if result or self.settings.language else None
        return TrackTranscript(result, language, round(info.language_probability, 4) if language else None,
                               round(speech, 3), threshold)

    def transcribe_without_vad(self, samples: np.ndarray, track: int, language: str | None) -> list[Segment]:
        """Segments of 16 kHz audio heard without VAD, in `language` (None: detected), keeping only
        those Whisper is sure of: average log-probability and no-speech probability both within
        Whisper's own thresholds (faster-whisper drops a segment only when both fail)."""
        options = {**self.options, "vad_filter": False, "language": language or self.settings.language}
        segments, _ = self.model.transcribe(samples, **options)
        return [s for s in _segments(segments, track)
                if s.avg_logprob >= LOG_PROB_THRESHOLD and s.no_speech_prob <= NO_SPEECH_THRESHOLD]


def _segments(segments, track: int) -> list[Segment]:
    """faster-whisper's segments as ours, without empty words."""
    return [
        Segment(
            track=track,
            start=round(seg.start, 3),
            end=round(seg.end, 3),
            text=seg.text.strip(),
            avg_logprob=round(seg.avg_logprob, 4),
            no_speech_prob=round(seg.no_speech_prob, 4),
            words=[
                Word(start=round(w.start, 3), end=round(w.end, 3), text=w.word.strip(),
                     probability=round(w.probability, 4), track=track)
                for w in (seg.words or []) if w.word.strip()
            ],
        )
        for seg in segments
    ]
