"""Text conversations through the analysis: a `Thread` (channels/thread.py) becomes a `Conversation`.

Each message is an utterance. Its `start` is seconds from the thread's first message: the
message's own `start` (an imported transcript's turn), else its wall-clock `sent_at`, else the
time of the message before (0 for the first); its `end` is the turn's end when the source gives
one, else `start` (a message is instant). Speakers are the distinct authors of each role
(`customer_1`, `agent_1`, `agent_2`, `speaker_1` for an unlabelled speaker of an imported
transcript); an author's name is a speaker id only with --keep-pii. When every speaker is
unlabelled, roles come from their words as for a mono call (roles.py). The analysis is the calls'
(enrich.py), run over many threads at once by `process_many`; redaction follows (redact.py), on
unless --keep-pii.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from time import perf_counter
from typing import Sequence

from callscope import __version__
from callscope.channels.thread import Message, Problem, Thread
from callscope.config import Settings
from callscope.conversation import Conversation, Processing, Source, Speaker, Utterance
from callscope.manifest import now
from callscope.nlp.language import detect_language
from callscope.pipeline.enrich import Enricher
from callscope.pipeline.ingest import InputFile, safe_id
from callscope.pipeline.roles import assign_roles
from callscope.redact import redact_conversation, redact_text

GIVEN_ROLE = "role given by the input"
NO_MESSAGES = "no messages: nothing to analyse"
LANGUAGE_CHARS = 2000       # of the conversation's text read to detect its language


@dataclass(frozen=True)
class TextUnit:
    """One thread to analyse, the call id its outputs take and the kind of input it was read from."""

    call_id: str
    thread: Thread
    kind: str


def _unit_item(item: InputFile, part: str) -> InputFile:
    """A unit of text input `item`: path `<file>#<part>` (how the manifest knows it) and the id it
    would like, `<file id>__<part>` (no path separators)."""
    part = part.replace("/", "_").replace("\\", "_")
    return InputFile(Path(f"{item.path}#{part}"), safe_id(f"{item.call_id}__{part}"))


def thread_item(item: InputFile, thread: Thread) -> InputFile:
    """The unit of one thread of text input `item`, by the thread's key; a key holding an `@` (an e-mail's
    Message-ID may hold the sender's address) as `mail-` and 12 hex digits of its SHA-256."""
    key = f"mail-{hashlib.sha256(thread.key.encode('utf-8')).hexdigest()[:12]}" if "@" in thread.key else thread.key
    return _unit_item(item, key)


def problem_item(item: InputFile, problem: Problem) -> InputFile:
    """The unit of a problem met in text input `item`: its line, or the whole file."""
    return _unit_item(item, f"line{problem.line}") if problem.line is not None else item


def _utc(stamp: datetime) -> datetime:
    """A wall-clock time comparable with any other: UTC when it has a zone, as is when it has none."""
    return stamp.astimezone(timezone.utc).replace(tzinfo=None) if stamp.tzinfo else stamp


def message_times(messages: Sequence[Message]) -> list[tuple[float, float]]:
    """(start, end) of each message in seconds from the first one (see the module's docstring)."""
    stamped = [_utc(m.sent_at) for m in messages if m.sent_at is not None]
    first = min(stamped, default=None)
    times, previous = [], 0.0
    for m in messages:
        if m.start is not None:
            start = m.start
        elif m.sent_at is not None and first is not None:
            start = (_utc(m.sent_at) - first).total_seconds()
        else:
            start = previous
        end = m.end if m.end is not None and m.end >= start else start
        times.append((round(start, 3), round(end, 3)))
        previous = start
    return times


def speaker_ids(messages: Sequence[Message], names: bool) -> list[str]:
    """The speaker id of each message: one per (role, author), named by role and number, or by the
    author's name when `names` (--keep-pii)."""
    ids: dict[tuple[str, str], str] = {}
    for m in messages:
        if (m.role, m.author) not in ids:
            number = sum(role == m.role for role, _ in ids) + 1
            label = "speaker" if m.role == "unknown" else m.role
            ids[m.role, m.author] = m.author if names and m.author else f"{label}_{number}"
    return [ids[m.role, m.author] for m in messages]


class TextProcessor:
    """Turns threads into analysed conversations with the calls' text models (`enricher`, None when
    enrichment is off) and settings."""

    def __init__(self, settings: Settings, enricher: Enricher | None):
        self.settings = settings
        self.enricher = enricher

    def conversation(self, unit: TextUnit) -> Conversation:
        """The thread as a conversation with speakers and roles, before analysis and redaction."""
        thread, settings = unit.thread, self.settings
        messages = thread.messages
        ids = speaker_ids(messages, names=not settings.output.redact)
        utterances = [Utterance(speaker=i, role=m.role, start=start, end=end, text=m.text.strip())
                      for m, i, (start, end) in zip(messages, ids, message_times(messages))]
        speakers = [Speaker(id=i, role=role, role_confidence=1.0 if role != "unknown" else 0.0,
                            role_evidence=[GIVEN_ROLE] if role != "unknown" else [])
                    for i, role in dict.fromkeys(zip(ids, (m.role for m in messages)))]
        if speakers and all(s.role == "unknown" for s in speakers):
            assign_roles(speakers, utterances, settings.roles)
        text = " ".join(u.text for u in utterances)[:LANGUAGE_CHARS]
        started = thread.started_at or min((m.sent_at for m in messages if m.sent_at), default=None, key=_utc)
        duration = max((u.end for u in utterances), default=0.0)
        return Conversation(
            id=unit.call_id, channel=thread.channel, started_at=started.isoformat() if started else None,
            customer_id=thread.customer_id, agent=thread.agent, attachments=list(thread.attachments),
            survey=thread.survey,
            source=Source(path=str(thread.path), sha256=thread.content_hash(), container=unit.kind, layout="text",
                          size_bytes=sum(len(m.text.encode("utf-8")) for m in messages), duration=duration,
                          line=thread.line),
            language=detect_language(text) if any(ch.isalpha() for ch in text) else None,
            duration=duration, speakers=speakers, utterances=utterances,
            warnings=[*thread.warnings, *([] if messages else [NO_MESSAGES])],
            processing=Processing(callscope_version=__version__, asr_model="", config_hash=settings.fingerprint(),
                                  created_at=now()))

    def _redacted(self, conversation: Conversation) -> Conversation:
        redacted = redact_conversation(conversation, self.settings.output.keep_agent_first_name)
        redacted.attachments = [redact_text(name) for name in redacted.attachments]
        redacted.processing.redacted = True
        return redacted

    def process_many(self, units: Sequence[TextUnit]) -> list[Conversation]:
        """The analysed (and, unless --keep-pii, redacted) conversations of `units`, in order: the text
        models run over all their messages at once (Enricher.enrich_many). Each conversation's
        `processing.seconds` holds its share of each stage (build, enrich, redact)."""
        clock = [perf_counter()]
        conversations = [self.conversation(unit) for unit in units]
        clock.append(perf_counter())
        if self.enricher:
            self.enricher.enrich_many(conversations)
        clock.append(perf_counter())
        if self.settings.output.redact:
            conversations = [self._redacted(c) for c in conversations]
        clock.append(perf_counter())
        share = {stage: round((b - a) / max(len(units), 1), 4)
                 for stage, a, b in zip(("build", "enrich", "redact"), clock, clock[1:])}
        for conversation in conversations:
            conversation.processing.seconds.update(share)
        return conversations
