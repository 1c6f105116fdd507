"""The conversation data model, defined once and shared by every stage.

A `Conversation` is what `callscope run` writes as `<id>.json`; its layout is
documented in docs/output-formats.md and versioned by SCHEMA_VERSION.
"""

from __future__ import annotations

from typing import Literal, Sequence

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.3"
# Whisper splits "qu'on" into "qu" + "'on", "pouvez-vous" into "pouvez" + "-vous" and "20,000" into
# "20" + ",000": a word that starts with one of these is written against the word before it.
GLUED_START = ("'", "’", "-", ",", ".", ";", ":", "!", "?", "%", ")")


def word_offsets(texts: Sequence[str]) -> tuple[str, list[int]]:
    """The text of words written in a row (see GLUED_START) and where each word starts in it."""
    text, offsets = "", []
    for word in texts:
        if text and not word.startswith(GLUED_START):
            text += " "
        offsets.append(len(text))
        text += word
    return text, offsets


def join_words(texts: Sequence[str]) -> str:
    """Words written in a row: "qu" + "'on" -> "qu'on", "je" + "vois" -> "je vois"."""
    return word_offsets(texts)[0]

Channel = Literal["voice", "chat", "email", "survey"]
# bot and system messages (chat) are kept apart from both parties: no analysis reads them as either
Role = Literal["agent", "customer", "bot", "system", "unknown"]
Polarity = Literal["negative", "neutral", "positive"]
Emotion = Literal["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"]
Family = Literal["assistance", "selfcare", "avoidable", "mandatory"]
SignalKind = Literal["churn_intent", "purchase_intent", "escalation_request", "repeat_contact", "legal_threat"]


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
    sentiment: Polarity | None = None
    sentiment_score: float | None = None    # P(positive) - P(negative), -1..1
    emotion: Emotion | None = None
    emotion_confidence: float | None = None

    def speech_seconds(self) -> float:
        """Seconds of speech: its words' durations (its span when it has no words)."""
        if self.words:
            return sum(w.end - w.start for w in self.words)
        return self.end - self.start


class Trajectory(BaseModel):
    """Customer sentiment from the first third of their speech to the last third.

    `start`/`end` are mean sentiment scores (-1..1); `lowest_*` is the customer's most
    negative utterance (its index in `Conversation.utterances` and its start time).
    """

    label: Literal["improved", "worsened", "stable", "unknown"] = "unknown"
    start: float | None = None
    end: float | None = None
    change: float | None = None
    lowest_score: float | None = None
    lowest_at: float | None = None
    lowest_utterance: int | None = None


class ReasonScore(BaseModel):
    """One contact reason with its confidence (0..1)."""

    reason: str
    family: Family | None = None
    confidence: float


class ContactReason(BaseModel):
    """Why the customer called: `reason` is `unknown` below the confidence threshold."""

    reason: str = "unknown"
    family: Family | None = None
    confidence: float = 0.0
    sales_opportunity: bool = False
    secondary: list[ReasonScore] = Field(default_factory=list)
    stated_by: Role | None = None   # whose words gave the reason: the customer's, else the agent's restatement


class AspectMention(BaseModel):
    """One clause of customer speech about an aspect (logistics, product, ...) with its polarity."""

    aspect: str
    polarity: Polarity
    score: float                    # sentiment score of the clause, -1..1
    confidence: float               # how surely the clause is about the aspect, 0..1
    text: str
    utterance: int                  # index in Conversation.utterances
    start: float
    end: float


class Signal(BaseModel):
    """Something a team lead should act on, with the utterance that triggered it."""

    kind: SignalKind
    confidence: float
    method: Literal["phrase", "semantic"]
    evidence: str                   # the phrase matched, or the nearest example sentence
    text: str                       # the triggering utterance (redacted like the rest)
    utterance: int
    start: float


class ChannelMetrics(BaseModel):
    """Metrics of a text conversation (chat, e-mail), instead of talk time (docs/metrics.md)."""

    messages: dict[str, int] = Field(default_factory=dict)     # per role
    exchanges: int = 0                          # customer messages answered by an agent message
    first_response_seconds: float | None = None     # customer's first message -> the first agent message after it
    customer_wait_seconds: float | None = None      # sum of the customer -> agent response gaps


class CallMetrics(BaseModel):
    """Conversation metrics (definitions in docs/metrics.md); per-role values keyed by role."""

    handle_seconds: float
    talk_seconds: dict[str, float] = Field(default_factory=dict)
    agent_talk_ratio: float | None = None
    non_talk_seconds: float = 0.0           # sum of silences over the threshold (3 s)
    silences: int = 0
    longest_silence: float = 0.0
    longest_silence_at: float | None = None
    overtalk_count: int = 0
    overtalk_seconds: float = 0.0
    overtalk_agent_share: float | None = None   # share of overtalk started by the agent
    interruptions: dict[str, int] = Field(default_factory=dict)
    longest_monologue: dict[str, float] = Field(default_factory=dict)
    words_per_minute: dict[str, float] = Field(default_factory=dict)
    agent_questions: int = 0


class Analysis(BaseModel):
    """What the enrichment stage found in one conversation (customer speech unless named)."""

    sentiment: Polarity | None = None       # overall customer sentiment
    sentiment_score: float | None = None
    trajectory: Trajectory = Field(default_factory=Trajectory)
    reason: ContactReason = Field(default_factory=ContactReason)
    aspects: list[AspectMention] = Field(default_factory=list)
    signals: list[Signal] = Field(default_factory=list)
    metrics: CallMetrics | None = None          # calls and imported voice transcripts
    channel_metrics: ChannelMetrics | None = None   # chats and e-mails


class Source(BaseModel):
    """The input as it was found on disk: a recording as decoded, or a text input (layout `text`:
    no codec, rate or channels; `sha256` is then the conversation's content hash, `container` the
    input's kind, e.g. `chat_csv`, `eml`, and `line` where the conversation starts in the file)."""

    path: str
    sha256: str
    size_bytes: int
    container: str
    codec: str = ""
    sample_rate: int = 0
    channels: int = 0
    duration: float = 0.0
    layout: Literal["mono", "stereo", "fake_stereo", "multichannel", "text"]
    line: int | None = None


class SurveyAnswer(BaseModel):
    """The score a survey response gives, and the conversation it follows when known."""

    model_config = ConfigDict(frozen=True)

    csat: float | None = None     # 1..5
    nps: float | None = None      # 0..10
    follows: str | None = None    # the id of the conversation it was sent after


class Processing(BaseModel):
    """How the conversation was produced."""

    callscope_version: str
    asr_model: str
    config_hash: str
    redacted: bool = False
    created_at: str
    seconds: dict[str, float] = Field(default_factory=dict)


class Conversation(BaseModel):
    """A transcribed call or a text conversation: source, tracks, words, segments, speakers,
    utterances and its analysis. Text conversations have no tracks, segments or words: their
    utterances are the messages (times in seconds from the first message, `end` = `start`)."""

    schema_version: str = SCHEMA_VERSION
    id: str
    channel: Channel = "voice"
    started_at: str | None = None           # ISO 8601 wall-clock time of the first message, when known
    customer_id: str | None = None          # as the input gives it (chat export, e-mail address, survey)
    agent: str | None = None                # the agent the input names
    attachments: list[str] = Field(default_factory=list)    # file names listed, never read
    survey: SurveyAnswer | None = None
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
    analysis: Analysis | None = None
    processing: Processing

    def words(self) -> list[Word]:
        """All words of all tracks in time order."""
        return sorted((w for s in self.segments for w in s.words), key=lambda w: (w.start, w.track))

    def text(self) -> str:
        """The whole transcript in time order, one string."""
        return join_words([w.text.strip() for w in self.words()]).strip()
