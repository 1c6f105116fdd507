"""Align: give every word a speaker and group words into utterances.

Stereo tracks are speakers (the channel map gives their roles); a mono track
is one speaker until diarisation splits it.
"""

from __future__ import annotations

from callscope.conversation import Role, Segment, Speaker, Utterance, Word


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
            current.text = f"{current.text} {word.text}"
        else:
            current = Utterance(speaker=speaker, role=roles.get(speaker, "unknown"),
                                start=word.start, end=word.end, text=word.text, words=[word])
            open_utterance[speaker] = current
            utterances.append(current)
        last_start[speaker] = word.start
    return utterances


def talk_seconds(utterances: list[Utterance], speakers: list[Speaker]) -> None:
    """Fill each speaker's talk time from the word durations of its utterances."""
    totals = {s.id: 0.0 for s in speakers}
    for utterance in utterances:
        totals[utterance.speaker] = totals.get(utterance.speaker, 0.0) + sum(w.end - w.start for w in utterance.words)
    for speaker in speakers:
        speaker.talk_seconds = round(totals[speaker.id], 3)
