"""Align: give every word a speaker and group words into utterances.

Stereo tracks are speakers (the channel map gives their roles); a mono track
is one speaker until diarisation splits it.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Iterable

from callscope.conversation import Overtalk, Role, Segment, Speaker, Utterance, Word, join_words

Interval = tuple[float, float, str]  # start, end, speaker


def track_speaker(track: int) -> str:
    """Speaker id of a track-bound speaker."""
    return f"SPEAKER_{track:02d}"


def track_speakers(n_tracks: int, layout: str, channel_roles: dict[int, Role]) -> list[Speaker]:
    """One speaker per track; stereo channels take their role from the channel map."""
    stereo = layout == "stereo"
    return [
        Speaker(
            id=track_speaker(index),
            track=index,
            role=channel_roles.get(index, "unknown") if stereo else "unknown",
            role_confidence=1.0 if stereo and index in channel_roles else 0.0,
        )
        for index in range(n_tracks)
    ]


def label_words(segments: list[Segment]) -> None:
    """Set each word's speaker to its track's speaker."""
    for segment in segments:
        for word in segment.words:
            word.speaker = track_speaker(word.track)


def label_words_by_turns(segments: list[Segment], turns: list[Interval]) -> None:
    """Give each word the speaker of the exclusive (non-overlapping) turn it falls in.

    A word's midpoint decides; a word between turns goes to the nearest turn,
    so every word gets a speaker.
    """
    if not turns:
        return
    ordered = sorted(turns)
    starts = [t[0] for t in ordered]
    for segment in segments:
        for word in segment.words:
            middle = (word.start + word.end) / 2
            i = bisect_right(starts, middle) - 1
            candidates = [ordered[j] for j in (i, i + 1) if 0 <= j < len(ordered)]
            word.speaker = min(candidates, key=lambda t: max(t[0] - middle, middle - t[1], 0.0))[2]


def speech_intervals(words: Iterable[Word], max_gap: float = 0.3) -> list[Interval]:
    """Each speaker's words merged into stretches of speech (gaps under `max_gap` bridged)."""
    merged: dict[str, list[list]] = {}
    for word in sorted(words, key=lambda w: w.start):
        runs = merged.setdefault(word.speaker or "unknown", [])
        if runs and word.start - runs[-1][1] <= max_gap:
            runs[-1][1] = max(runs[-1][1], word.end)
        else:
            runs.append([word.start, word.end])
    return [(a, b, speaker) for speaker, runs in merged.items() for a, b in runs]


def find_overtalk(intervals: list[Interval], min_seconds: float = 0.2) -> list[Overtalk]:
    """Stretches where intervals of different speakers overlap, with who barged in."""
    found = []
    ordered = sorted(intervals)
    for i, (start, end, speaker) in enumerate(ordered):
        for other_start, other_end, other in ordered[i + 1:]:
            if other_start >= end:
                break
            overlap_end = min(end, other_end)
            if other != speaker and round(overlap_end - other_start, 3) >= min_seconds:  # times are in ms
                found.append(Overtalk(start=round(other_start, 3), end=round(overlap_end, 3),
                                      speakers=sorted({speaker, other}), initiated_by=other))
    return sorted(found, key=lambda o: o.start)


def build_utterances(words: list[Word], speakers: list[Speaker]) -> list[Utterance]:
    """Group words (in time order) into utterances of one speaker each.

    A word continues its speaker's last utterance unless another speaker
    started a word after that utterance ended (took a turn); speech that
    overlaps it (overtalk, backchannels) does not break it. Utterances are
    ordered by start time and may overlap each other.
    """
    roles = {s.id: s.role for s in speakers}
    utterances: list[Utterance] = []
    open_utterance: dict[str, Utterance] = {}
    last_start: dict[str, float] = {}
    for word in sorted(words, key=lambda w: (w.start, w.track)):
        speaker = word.speaker or "unknown"
        current = open_utterance.get(speaker)
        if current and all(t <= current.end for s, t in last_start.items() if s != speaker):
            current.words.append(word)
            current.end = max(current.end, word.end)
        else:
            current = Utterance(speaker=speaker, role=roles.get(speaker, "unknown"),
                                start=word.start, end=word.end, text=word.text, words=[word])
            open_utterance[speaker] = current
            utterances.append(current)
        last_start[speaker] = word.start
    for utterance in utterances:
        utterance.text = join_words([w.text for w in utterance.words])
    return utterances


def talk_seconds(utterances: list[Utterance], speakers: list[Speaker]) -> None:
    """Fill each speaker's talk time from the word durations of its utterances."""
    totals = {s.id: 0.0 for s in speakers}
    for utterance in utterances:
        totals[utterance.speaker] = totals.get(utterance.speaker, 0.0) + sum(w.end - w.start for w in utterance.words)
    for speaker in speakers:
        speaker.talk_seconds = round(totals[speaker.id], 3)
