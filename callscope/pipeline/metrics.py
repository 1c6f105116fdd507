"""Call metrics from a conversation's words, utterances, turns and overtalk.

Definitions (docs/metrics.md): talk time is the sum of a role's word durations;
a silence is a gap between consecutive stretches of speech (anyone's words),
counted as non-talk time when longer than the threshold (3 s, as AWS Contact
Lens); an interruption is an overtalk after which the speaker who barged in
still holds the floor; a monologue is one utterance (a speaker's words until
another speaker takes a turn); agent questions are the agent's sentences that
end with a question mark.

A text conversation (chat, e-mail) has channel metrics instead: messages per role; exchanges
(customer turns answered by an agent message); the first response time (the customer's first
message to the first agent message after it) and the customer's waiting time (the sum, over
exchanges, of the time from the customer's first unanswered message to the agent's reply).
Bot and system messages answer nothing.
"""

from __future__ import annotations

import re

from callscope.conversation import CallMetrics, ChannelMetrics, Conversation, Utterance

FLOOR_MARGIN = 0.05  # seconds the barging speaker must talk on after an overlap for an interruption
_QUESTION = re.compile(r"\?+")


def _word_count(utterance: Utterance) -> int:
    return len(utterance.words) or len(utterance.text.split())


def _speech(utterances: list[Utterance]) -> list[tuple[float, float]]:
    """Stretches where someone speaks: the union of all word (or utterance) intervals."""
    spans = [(w.start, w.end) for u in utterances for w in u.words]
    spans += [(u.start, u.end) for u in utterances if not u.words]
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def _union_seconds(intervals: list[tuple[float, float]]) -> float:
    total, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def call_metrics(conversation: Conversation, silence_threshold: float = 3.0) -> CallMetrics:
    """The metrics of one conversation; per-role values are keyed by role (agent, customer, unknown)."""
    utterances = conversation.utterances
    role_of = {s.id: s.role for s in conversation.speakers}
    role_of.update({u.speaker: u.role for u in utterances})

    talk: dict[str, float] = {}
    words: dict[str, int] = {}
    monologue: dict[str, float] = {}
    questions = 0
    for u in utterances:
        talk[u.role] = talk.get(u.role, 0.0) + u.speech_seconds()
        words[u.role] = words.get(u.role, 0) + _word_count(u)
        monologue[u.role] = max(monologue.get(u.role, 0.0), u.end - u.start)
        if u.role == "agent":
            questions += len(_QUESTION.findall(u.text))
    total_talk = sum(talk.values())

    speech = _speech(utterances)
    gaps = [(b_start - a_end, a_end) for (_, a_end), (b_start, _) in zip(speech, speech[1:])]
    long_gaps = [g for g, _ in gaps if g > silence_threshold]
    longest, longest_at = max(gaps, default=(0.0, None))

    overtalk = conversation.overtalk
    interruptions = {role: 0 for role in talk}
    for o in overtalk:
        holds_floor = any(t.speaker == o.initiated_by and t.start < o.end and t.end > o.end + FLOOR_MARGIN
                          for t in conversation.turns)
        if holds_floor:
            role = role_of.get(o.initiated_by, "unknown")
            interruptions[role] = interruptions.get(role, 0) + 1
    by_agent = sum(role_of.get(o.initiated_by) == "agent" for o in overtalk)

    return CallMetrics(
        handle_seconds=round(conversation.duration, 3),
        talk_seconds={role: round(s, 3) for role, s in talk.items()},
        agent_talk_ratio=round(talk["agent"] / total_talk, 3) if "agent" in talk and total_talk > 0 else None,
        non_talk_seconds=round(sum(long_gaps), 3),
        silences=len(long_gaps),
        longest_silence=round(longest, 3),
        longest_silence_at=round(longest_at, 3) if longest_at is not None else None,
        overtalk_count=len(overtalk),
        overtalk_seconds=round(_union_seconds([(o.start, o.end) for o in overtalk]), 3),
        overtalk_agent_share=round(by_agent / len(overtalk), 3) if overtalk else None,
        interruptions=interruptions,
        longest_monologue={role: round(s, 3) for role, s in monologue.items()},
        words_per_minute={role: round(words[role] / talk[role] * 60, 1) for role in talk if talk[role] > 0},
        agent_questions=questions,
    )


def channel_metrics(conversation: Conversation) -> ChannelMetrics:
    """The metrics of a chat or e-mail thread from its messages' roles and times (seconds); a thread
    whose messages carry no times (duration 0) has no response times."""
    messages: dict[str, int] = {}
    waits: list[float] = []
    waiting_since: float | None = None
    for u in conversation.utterances:
        messages[u.role] = messages.get(u.role, 0) + 1
        if u.role == "customer" and waiting_since is None:
            waiting_since = u.start
        elif u.role == "agent" and waiting_since is not None:
            waits.append(max(u.start - waiting_since, 0.0))
            waiting_since = None
    if conversation.duration <= 0:
        return ChannelMetrics(messages=messages, exchanges=len(waits))
    return ChannelMetrics(messages=messages, exchanges=len(waits),
                          first_response_seconds=round(waits[0], 3) if waits else None,
                          customer_wait_seconds=round(sum(waits), 3) if waits else None)
