"""Roles: which speaker is the agent, from what the speakers say.

Stereo calls take roles from the channel map (see align.track_speakers). For
mono calls each speaker collects evidence: greetings naming the company or
offering help, asking the caller to identify themselves, service phrases, and
speaking first; customer phrases count against. The best-scoring speaker is
the agent when its lead over the others is clear enough, else every role is
`unknown`.
"""

from __future__ import annotations

import re
from callscope.config import RoleSettings
from callscope.conversation import Speaker, Utterance
from callscope.nlp.normalise import normalise

GREETING = 3.0
IDENTIFICATION = 1.0
SERVICE = 1.0
FIRST_SPEAKER = 0.5
CUSTOMER = 1.0
FULL_CONFIDENCE_MARGIN = 4.0


def _found(phrases: list[str], text: str) -> list[str]:
    return [p for p in phrases if re.search(rf"(?<!\w){re.escape(normalise(p))}(?!\w)", text)]


def speaker_evidence(text: str, speaks_first: bool, cues: RoleSettings) -> tuple[float, list[str]]:
    """Agent score of one speaker's words (normalised) and the cues behind it."""
    score, reasons = 0.0, []
    greetings = _found(cues.greetings + cues.company_names, text)
    if greetings:
        score += GREETING
        reasons.append(f"greets/names the company: {greetings[0]!r}")
    for found, weight, label in (
        (_found(cues.identification, text), IDENTIFICATION, "asks for identification"),
        (_found(cues.service, text), SERVICE, "service phrase"),
    ):
        if found:
            score += weight * min(len(found), 2)
            reasons.append(f"{label}: {found[0]!r}")
    customer = _found(cues.customer, text)
    if customer:
        score -= CUSTOMER * min(len(customer), 2)
        reasons.append(f"customer phrase: {customer[0]!r}")
    if speaks_first:
        score += FIRST_SPEAKER
        reasons.append("speaks first")
    return score, reasons


def assign_roles(speakers: list[Speaker], utterances: list[Utterance], cues: RoleSettings) -> None:
    """Set role, role_confidence and role_evidence on mono speakers from their words."""
    if not speakers:
        return
    first = utterances[0].speaker if utterances else None
    scored = {}
    for speaker in speakers:
        text = normalise(" ".join(u.text for u in utterances if u.speaker == speaker.id))
        scored[speaker.id] = speaker_evidence(text, speaker.id == first, cues)
    ranking = sorted(speakers, key=lambda s: scored[s.id][0], reverse=True)
    best = scored[ranking[0].id][0]
    runner_up = scored[ranking[1].id][0] if len(ranking) > 1 else 0.0
    confidence = round(min(1.0, max(0.0, best - runner_up) / FULL_CONFIDENCE_MARGIN), 2)
    agent_found = confidence >= cues.min_confidence and best > 0
    for speaker in speakers:
        speaker.role_evidence = scored[speaker.id][1]
        speaker.role_confidence = confidence if agent_found else 0.0
        if not agent_found:
            speaker.role = "unknown"
        else:
            speaker.role = "agent" if speaker is ranking[0] else "customer"
    for utterance in utterances:
        utterance.role = next(s.role for s in speakers if s.id == utterance.speaker)
