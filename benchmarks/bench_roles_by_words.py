"""Agent or customer from the words of one sentence (mono calls heard as one voice).

Scores the role head of callscope/nlp/role_words.py, with and without the phrase
cues of the role settings, on benchmarks/data/cs_roles.jsonl: 200 contact-centre
sentences (140 English, 60 French) written apart from the role examples and the
sample calls, labelled agent or customer. Accuracy per language and the recall
of each party; the end-to-end check on the two one-voice sample calls is
tests/test_sample_calls.py.

    python benchmarks/bench_roles_by_words.py [--data FILE] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from callscope.config import Settings
from callscope.nlp.role_words import RoleByWords, role_examples
from callscope.nlp.taxonomy import load_taxonomy
from callscope.pipeline.one_voice import sentence_agent_probability

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data" / "cs_roles.jsonl"


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
    head = RoleByWords(*role_examples(settings.roles.examples_path(), load_taxonomy(settings.enrich.taxonomy_path())))
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
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
