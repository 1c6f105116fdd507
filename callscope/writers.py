"""Per-call output files: JSON (the Conversation), TXT, SRT, WebVTT and RTTM.

A text conversation (chat, e-mail, survey, imported transcript: source layout `text`) gets its JSON
and TXT only: subtitles and speaker turns belong with audio.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from callscope.config import OutputSettings
from callscope.conversation import Conversation, Utterance, Word, join_words
from callscope.files import atomic_write_text


@dataclass
class Cue:
    """One subtitle cue: a piece of one utterance."""

    start: float
    end: float
    label: str
    text: str


def speaker_label(utterance: Utterance) -> str:
    """'Agent', 'Customer', or the speaker id when the role is unknown."""
    return utterance.role.capitalize() if utterance.role != "unknown" else utterance.speaker


def timestamp(seconds: float, separator: str = ".") -> str:
    """HH:MM:SS.mmm (SRT uses ',' as separator)."""
    millis = int(round(max(seconds, 0.0) * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _split(words: list[Word], max_seconds: float, max_chars: int) -> list[list[Word]]:
    pieces: list[list[Word]] = [[]]
    for word in words:
        current = pieces[-1]
        length = sum(len(w.text) + 1 for w in current) + len(word.text)
        if current and (word.end - current[0].start > max_seconds or length > max_chars):
            pieces.append([word])
        else:
            current.append(word)
    return [p for p in pieces if p]


def cues(conversation: Conversation, settings: OutputSettings) -> list[Cue]:
    """Utterances cut into readable cues by duration and length."""
    return [
        Cue(piece[0].start, piece[-1].end, speaker_label(u), join_words([w.text for w in piece]))
        for u in conversation.utterances
        for piece in _split(u.words, settings.max_cue_seconds, settings.max_cue_chars)
    ]


AUDIO_FORMATS = ("srt", "vtt", "rttm")     # not written for text conversations


def _span(utterance: Utterance, text: bool) -> str:
    """`start - end`; a message's start alone (its end is its start)."""
    if text and utterance.end <= utterance.start:
        return timestamp(utterance.start)
    return f"{timestamp(utterance.start)} - {timestamp(utterance.end)}"


def to_txt(conversation: Conversation) -> str:
    text = conversation.source.layout == "text"
    lines = [f"[{_span(u, text)}] {speaker_label(u)}: {u.text}" for u in conversation.utterances]
    return "\n".join(lines) + ("\n" if lines else "")


def to_srt(conversation: Conversation, settings: OutputSettings) -> str:
    blocks = [
        f"{i}\n{timestamp(c.start, ',')} --> {timestamp(c.end, ',')}\n[{c.label}] {c.text}\n"
        for i, c in enumerate(cues(conversation, settings), start=1)
    ]
    return "\n".join(blocks)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(conversation: Conversation, settings: OutputSettings) -> str:
    blocks = ["WEBVTT\n"] + [
        f"{timestamp(c.start)} --> {timestamp(c.end)}\n<v {_vtt_escape(c.label)}>{_vtt_escape(c.text)}\n"
        for c in cues(conversation, settings)
    ]
    return "\n".join(blocks)


def rttm_field(text: str) -> str:
    """A value for one RTTM field: fields are split on whitespace, so any run of it becomes `_`."""
    return re.sub(r"\s+", "_", text.strip()) or "_"


def to_rttm(conversation: Conversation) -> str:
    """Speaker turns as RTTM (NIST), one SPEAKER line per turn (the uri is the call id, whitespace as `_`)."""
    uri = rttm_field(conversation.id)
    return "".join(
        f"SPEAKER {uri} 1 {t.start:.3f} {t.end - t.start:.3f} <NA> <NA> {rttm_field(t.speaker)} <NA> <NA>\n"
        for t in sorted(conversation.turns, key=lambda t: t.start))


def write_outputs(conversation: Conversation, out_dir: Path, settings: OutputSettings) -> list[str]:
    """Write every configured format (a text conversation: JSON and TXT) atomically; returns the file names written."""
    render = {
        "json": lambda: conversation.model_dump_json(indent=2) + "\n",
        "txt": lambda: to_txt(conversation),
        "srt": lambda: to_srt(conversation, settings),
        "vtt": lambda: to_vtt(conversation, settings),
        "rttm": lambda: to_rttm(conversation),
    }
    names = []
    text = conversation.source.layout == "text"
    for fmt in settings.formats:
        if text and fmt in AUDIO_FORMATS:
            continue
        name = f"{conversation.id}.{fmt}"
        atomic_write_text(out_dir / name, render[fmt]())
        names.append(name)
    return names
