"""One voice, two parties: split a mono call by what each sentence says.

When diarisation hears a single voice (two similar voices, heavy compression),
each sentence is scored agent-or-customer from its words (nlp/role_words.py)
and the most likely sequence of parties is decoded: a sentence usually keeps
the previous sentence's party, and a question is usually answered by the other
party. The split is kept only when each party has sentences that read clearly
as theirs: a voicemail or a recorded message stays one speaker.
`parties_of_voices` judges a two-speaker clustering the same way: kept when its
two voices read as different parties.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from callscope.config import RoleSettings, SpeakerSettings
from callscope.conversation import Role, Speaker, Utterance, Word, join_words
from callscope.nlp.normalise import normalise
from callscope.nlp.role_words import RoleByWords
from callscope.pipeline.roles import speaker_evidence

FIRST_IS_AGENT = 0.6          # prior that the agent speaks first
SWITCH = 0.5                  # chance the other party speaks next, after a statement
SWITCH_AFTER_QUESTION = 0.6   # ... after a question
MIN_SENTENCES = 2             # each party needs at least this many sentences
MIN_EVIDENCE = 3.0            # ... and this much log-odds for its side, summed over them (about 20:1)
MIN_VOICE_SHARE = 0.25       # ... each of them says at least this share of the sentences
MIN_PARTY_GAP = 0.4          # two voices: mean agent log-odds of the agent's sentences above the customer's
SENTENCE_END = (".", "?", "!")
CUE_WEIGHT = 0.5              # log-odds per point of phrase evidence (roles.py), clipped to CUE_RANGE
CUE_RANGE = (-2.0, 3.0)
EVIDENCE = "one voice heard: parties told apart by what each sentence says"
TWO_VOICES_EVIDENCE = "one voice held nearly all the speech: two voices kept, their words read as agent and customer"
ROLES_BY_WORDS_EVIDENCE = "no greeting or service phrase decided: the two voices' sentences read as agent and customer"


def two_parties_allowed(count: SpeakerSettings) -> bool:
    """Whether the speaker-count bounds (`--num-speakers`, `--max-speakers`) allow a split in two."""
    return (count.num_speakers or 2) >= 2 and (count.max_speakers or 2) >= 2


def sentences(words: Sequence[Word]) -> list[list[Word]]:
    """Words in time order, cut after each word that ends a sentence."""
    found: list[list[Word]] = [[]]
    for word in sorted(words, key=lambda w: w.start):
        found[-1].append(word)
        if word.text.endswith(SENTENCE_END):
            found.append([])
    return [s for s in found if s]


def sentence_agent_probability(texts: list[str], head: RoleByWords, cues: RoleSettings) -> np.ndarray:
    """P(agent) of each sentence: the head's, shifted by the phrase cues it contains."""
    probability = np.clip(head.agent_probability(texts), 1e-6, 1 - 1e-6)
    evidence = np.array([speaker_evidence(normalise(text), False, cues)[0] for text in texts])
    log_odds = np.log(probability / (1 - probability)) + CUE_WEIGHT * np.clip(evidence, *CUE_RANGE)
    return 1 / (1 + np.exp(-log_odds))


class SentenceRoles:
    """Agent or customer for single sentences (no sequence), as `callscope eval roles` scores them:
    a LabelPredictor (nlp/interfaces.py) like the sentiment and emotion classifiers; the language
    does not change how a sentence is read."""

    classes = ["agent", "customer"]

    def __init__(self, head: RoleByWords, cues: RoleSettings):
        self.head, self.cues = head, cues

    def predict(self, texts: Sequence[str], language: str | None = None) -> tuple[list[str], np.ndarray]:
        """Labels and (n, 2) probabilities (agent, customer)."""
        agent = sentence_agent_probability(list(texts), self.head, self.cues)
        return ["agent" if p > 0.5 else "customer" for p in agent], np.stack([agent, 1 - agent], axis=1)


def decode_parties(agent_probability: np.ndarray, questions: Sequence[bool]) -> list[Role]:
    """Most likely agent/customer sequence (Viterbi); `questions[i]`: sentence i ends with '?'."""
    emit = np.log(np.clip(np.stack([agent_probability, 1 - agent_probability], axis=1), 1e-6, 1))
    score = np.log([FIRST_IS_AGENT, 1 - FIRST_IS_AGENT]) + emit[0]
    back = []
    for i in range(1, len(emit)):
        switch = SWITCH_AFTER_QUESTION if questions[i - 1] else SWITCH
        stay, move = np.log(1 - switch), np.log(switch)
        options = np.array([[score[0] + stay, score[1] + move], [score[0] + move, score[1] + stay]])
        back.append(options.argmax(axis=1))
        score = options.max(axis=1) + emit[i]
    path = [int(score.argmax())]
    for pointers in reversed(back):
        path.append(int(pointers[path[-1]]))
    return ["agent" if state == 0 else "customer" for state in reversed(path)]


def _log_odds(probability: np.ndarray) -> np.ndarray:
    clipped = np.clip(probability, 1e-6, 1 - 1e-6)
    return np.log(clipped / (1 - clipped))


def parties_of_voices(words: Sequence[Word], agent_probability: Callable[[list[str]], np.ndarray],
                      ) -> tuple[dict[str, Role], dict[str, float]] | None:
    """Agent and customer for the two speakers of `words` when their sentences read as different
    parties (a sentence goes to the speaker of most of its words): each speaker has MIN_SENTENCES
    sentences and MIN_VOICE_SHARE of all, and the mean agent log-odds of one exceeds the other's
    by MIN_PARTY_GAP; else None. Relative, not absolute: short replies read as the customer whoever
    says them. Also returns each role's confidence (mean probability of its sentences)."""
    units = sentences(words)
    owners = np.array([max({w.speaker for w in unit}, key=lambda s: sum(w.speaker == s for w in unit))
                       for unit in units])
    voices = sorted(set(owners))
    fewest = max(MIN_SENTENCES, MIN_VOICE_SHARE * len(units))
    if len(voices) != 2 or min((owners == v).sum() for v in voices) < fewest:
        return None
    probability = np.asarray(agent_probability([join_words([w.text for w in unit]) for unit in units]), dtype=float)
    odds = _log_odds(probability)
    agent, customer = sorted(voices, key=lambda v: odds[owners == v].mean(), reverse=True)
    if odds[owners == agent].mean() - odds[owners == customer].mean() < MIN_PARTY_GAP:
        return None
    return ({agent: "agent", customer: "customer"},
            {"agent": float(probability[owners == agent].mean()),
             "customer": float(1 - probability[owners == customer].mean())})


def roles_from_sentences(words: Sequence[Word], speakers: list[Speaker], utterances: list[Utterance],
                         agent_probability: Callable[[list[str]], np.ndarray]) -> bool:
    """Agent and customer for two mono voices that no phrase told apart (roles.py), when their
    sentences read as the two parties (parties_of_voices); sets the speakers' and utterances' roles
    and says whether it did."""
    parties = parties_of_voices(words, agent_probability)
    if parties is None:
        return False
    roles, confidence = parties
    for speaker in speakers:
        if speaker.id in roles:
            speaker.role = roles[speaker.id]
            speaker.role_confidence = round(confidence[speaker.role], 2)
            speaker.role_evidence = [*speaker.role_evidence, ROLES_BY_WORDS_EVIDENCE]
    for utterance in utterances:
        utterance.role = next(s.role for s in speakers if s.id == utterance.speaker)
    return True


def split_one_voice(words: Sequence[Word], speaker: Speaker,
                    agent_probability: Callable[[list[str]], np.ndarray]) -> list[Speaker] | None:
    """Agent and customer speakers for the words of one voice, relabelling the words; None (and
    the words untouched) when the sentences do not read as two parties."""
    units = sentences(words)
    if len(units) < 2 * MIN_SENTENCES:
        return None
    texts = [join_words([w.text for w in unit]) for unit in units]
    probability = np.asarray(agent_probability(texts), dtype=float)
    parties = np.array(decode_parties(probability, [t.endswith("?") for t in texts]))
    agent_odds = _log_odds(probability)
    for role, odds in (("agent", agent_odds), ("customer", -agent_odds)):
        if (parties == role).sum() < MIN_SENTENCES or odds[parties == role].sum() < MIN_EVIDENCE:
            return None
    customer_id = next(f"SPEAKER_{i:02d}" for i in range(2) if f"SPEAKER_{i:02d}" != speaker.id)
    ids = {"agent": speaker.id, "customer": customer_id}
    for unit, party in zip(units, parties):
        for word in unit:
            word.speaker = ids[party]
    agreement = np.where(parties == "agent", probability, 1 - probability)
    return [Speaker(id=ids[role], role=role, track=speaker.track, role_evidence=[EVIDENCE],
                    role_confidence=round(float(agreement[parties == role].mean()), 2))
            for role in ("agent", "customer")]
