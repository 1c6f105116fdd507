"""One call through the stages: audio -> transcribe -> align -> Conversation."""

from __future__ import annotations

from time import perf_counter

from callscope import __version__
from callscope.config import Settings
from callscope.conversation import Conversation, Processing, Track
from callscope.manifest import now
from callscope.pipeline.align import build_utterances, label_words, talk_seconds, track_speakers
from callscope.pipeline.audio import load_audio
from callscope.pipeline.ingest import InputFile
from callscope.pipeline.transcribe import Transcriber


def process_call(item: InputFile, sha256: str, settings: Settings, transcriber: Transcriber) -> Conversation:
    """Transcribe one recording; raises InputError when it cannot be decoded."""
    started = perf_counter()
    audio = load_audio(item.path, sha256, settings.audio.fake_stereo_correlation)
    decoded = perf_counter()
    transcripts = [transcriber.transcribe(samples, index) for index, samples in enumerate(audio.tracks)]
    transcribed = perf_counter()

    segments = sorted((s for t in transcripts for s in t.segments), key=lambda s: (s.start, s.track))
    tracks = [
        Track(index=i, label=label, language=t.language, language_probability=t.language_probability,
              speech_seconds=t.speech_seconds)
        for i, (label, t) in enumerate(zip(audio.labels, transcripts))
    ]
    speakers = track_speakers(len(tracks), audio.source.layout, settings.roles.channels)
    label_words(segments)
    utterances = build_utterances([w for s in segments for w in s.words], speakers)
    talk_seconds(utterances, speakers)
    spoken = [t for t in tracks if t.language]
    language = max(spoken, key=lambda t: t.speech_seconds).language if spoken else None
    warnings = audio.warnings + ([] if segments else ["no speech detected"])
    return Conversation(
        id=item.call_id,
        source=audio.source,
        language=language,
        duration=audio.source.duration,
        tracks=tracks,
        segments=segments,
        speakers=speakers,
        utterances=utterances,
        warnings=warnings,
        processing=Processing(
            callscope_version=__version__,
            asr_model=settings.asr.model,
            config_hash=settings.fingerprint(),
            created_at=now(),
            seconds={"decode": round(decoded - started, 3), "transcribe": round(transcribed - decoded, 3)},
        ),
    )
