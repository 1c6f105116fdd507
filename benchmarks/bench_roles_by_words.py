"""Agent or customer from the words of one sentence (mono calls heard as one voice).

Scores the role head of callscope/nlp/role_words.py, with and without the phrase
cues of the role settings, on benchmarks/data/cs_roles.jsonl: 200 contact-centre
sentences (140 English, 60 French) written apart from the role examples and the
sample calls, labelled agent or customer. Accuracy per language and the recall
of each party. Then the whole split (pipeline/one_voice.py) on the reference
text of the ten sample calls: each call's two parties together (the share of
sentences given to the right party), and each party alone, as a recording of one
party would be (how many are split when they should not be). The end-to-end
check on the two one-voice sample calls is tests/test_sample_calls.py.

    python benchmarks/bench_roles_by_words.py [--data FILE] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from callscope.config import Settings
from callscope.conversation import Speaker, Word
from callscope.nlp.role_words import RoleByWords, role_examples
from callscope.pipeline.one_voice import sentence_agent_probability, sentences, split_one_voice

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data" / "cs_roles.jsonl"
SAMPLES = ROOT / "sample_audio"


def spoken(turns: list[dict]) -> tuple[list[Word], list[str]]:
    """The turns' text as timed words of one voice (0.3 s a word, 0.6 s between turns), and the
    role of each word."""
    words, roles, clock = [], [], 0.0
    for turn in turns:
        for token in turn["text"].split():
            words.append(Word(start=clock, end=clock + 0.25, text=token, probability=1.0, speaker="ONE"))
            roles.append(turn["role"])
            clock += 0.3
        clock += 0.6
    return words, roles


def split_scripts(agent_probability) -> dict:
    """Sentences right when both parties are one voice; one-party recordings split wrongly."""
    right = total = wrongly_split = 0
    calls = sorted(SAMPLES.glob("*.json"))
    for call in calls:
        turns = json.loads(call.read_text(encoding="utf-8"))["turns"]
        words, roles = spoken(turns)
        speakers = split_one_voice(words, Speaker(id="ONE"), agent_probability)
        role_of = {s.id: s.role for s in speakers or []}
        first_word = {id(w): i for i, w in enumerate(words)}
        for unit in sentences(words):
            total += 1
            right += role_of.get(unit[0].speaker) == roles[first_word[id(unit[0])]]
        for party in ("agent", "customer"):
            alone, _ = spoken([t for t in turns if t["role"] == party])
            wrongly_split += split_one_voice(alone, Speaker(id="ONE"), agent_probability) is not None
    return {"sentences_right": round(right / total, 3), "sentences": total,
            "one_party_recordings_split": wrongly_split, "one_party_recordings": 2 * len(calls)}


def figures(probability: np.ndarray, is_agent: np.ndarray) -> dict:
    said_agent = probability > 0.5
    return {"n": int(len(is_agent)), "accuracy": round(float((said_agent == is_agent).mean()), 3),
            "agent_recall": round(float(said_agent[is_agent].mean()), 3),
            "customer_recall": round(float((~said_agent[~is_agent]).mean()), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    items = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    settings = Settings()
    head = RoleByWords(*role_examples(settings))
    texts = [item["text"] for item in items]
    routes = {"head": head.agent_probability(texts),
              "head + phrase cues": sentence_agent_probability(texts, head, settings.roles)}
    is_agent = np.array([item["role"] == "agent" for item in items])
    languages = np.array([item["lang"] for item in items])
    result = {}
    for route, probability in routes.items():
        result[route] = {lang: figures(probability[languages == lang], is_agent[languages == lang])
                         for lang in sorted(set(languages))}
        for lang, row in result[route].items():
            print(f"{route:20s} {lang}: accuracy {row['accuracy']:.3f} (agent recall {row['agent_recall']:.2f}, "
                  f"customer recall {row['customer_recall']:.2f}, n {row['n']})")
    scripts = split_scripts(lambda texts: sentence_agent_probability(texts, head, settings.roles))
    print(f"sample scripts as one voice: {scripts['sentences_right']:.3f} of {scripts['sentences']} sentences "
          f"to the right party; one party alone split {scripts['one_party_recordings_split']} of "
          f"{scripts['one_party_recordings']} times")
    result["sample_scripts"] = scripts
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
