"""The conversation data model, defined once and shared by every stage.

A `Conversation` is what `callscope run` writes as `<id>.json`; its layout is
documented in docs/conversation-schema.md and versioned by SCHEMA_VERSION.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SCHEMA_VERSION = "1.0"

Role = Literal["agent", "customer", "unknown"]


class Word(BaseModel):
    """One recognised word with its timing (seconds from the start of the file)."""

    start: float
    end: float
    text: str
    probability: float
    track: int = 0
    speaker: str | None = None


class Segment(BaseModel):
    """One ASR segment of one track, as decoded by Whisper."""

    track: int
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    words: list[Word] = Field(default_factory=list)


class Track(BaseModel):
    """One audio track that was transcribed: a channel, or the mono mix."""

    index: int
    label: str
    language: str | None = None
    language_probability: float | None = None
    speech_seconds: float = 0.0


class Speaker(BaseModel):
    """A speaker found in the conversation and the role assigned to it."""

    id: str
    role: Role = "unknown"
    role_confidence: float = 0.0
    role_evidence: list[str] = Field(default_factory=list)
    track: int | None = None
    talk_seconds: float = 0.0


class Turn(BaseModel):
    """A stretch of one speaker's speech: from diarisation (mono) or channel activity (stereo)."""

    start: float
    end: float
    speaker: str


class Overtalk(BaseModel):
    """A stretch where two or more speakers talk at once; `initiated_by` started last (barged in)."""

    start: float
    end: float
    speakers: list[str]
    initiated_by: str


class Utterance(BaseModel):
    """Consecutive words of one speaker."""

    speaker: str
    role: Role = "unknown"
    start: float
    end: float
    text: str
    words: list[Word] = Field(default_factory=list)


class Source(BaseModel):
    """The input recording as it was found on disk and decoded."""

    path: str
    sha256: str
    size_bytes: int
    container: str
    codec: str
    sample_rate: int
    channels: int
    duration: float
    layout: Literal["mono", "stereo", "fake_stereo", "multichannel"]


class Processing(BaseModel):
    """How the conversation was produced."""

    callscope_version: str
    asr_model: str
    config_hash: str
    redacted: bool = False
    created_at: str
    seconds: dict[str, float] = Field(default_factory=dict)


class Conversation(BaseModel):
    """A transcribed call: source, tracks, words, segments, speakers, utterances."""

    schema_version: str = SCHEMA_VERSION
    id: str
    source: Source
    language: str | None = None
    duration: float
    tracks: list[Track] = Field(default_factory=list)
    segments: list[Segment] = Field(default_factory=list)
    speakers: list[Speaker] = Field(default_factory=list)
    utterances: list[Utterance] = Field(default_factory=list)
    turns: list[Turn] = Field(default_factory=list)
    overtalk: list[Overtalk] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    processing: Processing

    def words(self) -> list[Word]:
        """All words of all tracks in time order."""
        return sorted((w for s in self.segments for w in s.words), key=lambda w: (w.start, w.track))

    def text(self) -> str:
        """The whole transcript in time order, one string."""
        return " ".join(w.text.strip() for w in self.words()).strip()
