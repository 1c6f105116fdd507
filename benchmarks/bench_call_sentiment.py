"""Overall customer sentiment of whole calls, on transcripts written for it.

benchmarks/data/cs_calls_dev.jsonl and cs_calls.jsonl (test): 60 short contact-centre calls each
(45 English, 15 French), agent and customer turns, labelled with the customer's overall sentiment
by the helper that wrote them (apart from the sample calls and every other set). Each call goes
through the enrichment stage as `callscope run` would give it (words timed at WORD_SECONDS each);
the figures are the direction (negative or not, as tests/test_sample_calls.py checks it),
3-class accuracy and macro-F1, for several `enrich.negative_weight` and `enrich.end_weight` values
(at the configured threshold, `enrich.sentiment_threshold`). Dev chose the weights and the
threshold; test is reported.

    python benchmarks/bench_call_sentiment.py [--weights 1,2] [--end-weights 0,0.2,0.5] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from callscope.config import EnrichSettings
from callscope.conversation import Conversation, Processing, Source, Utterance, Word
from callscope.pipeline.enrich import Enricher, overall_sentiment

ROOT = Path(__file__).resolve().parent.parent
SPLITS = {"dev": ROOT / "benchmarks" / "data" / "cs_calls_dev.jsonl",
          "test": ROOT / "benchmarks" / "data" / "cs_calls.jsonl"}
WORD_SECONDS, PAUSE = 0.35, 0.6


def as_conversation(call: dict) -> Conversation:
    """The call's turns as utterances of two speakers, words evenly timed."""
    utterances, clock = [], 0.0
    for turn in call["turns"]:
        speaker = "A" if turn["role"] == "agent" else "C"
        words = []
        for token in turn["text"].split():
            words.append(Word(start=round(clock, 3), end=round(clock + WORD_SECONDS, 3), text=token,
                              probability=1.0, speaker=speaker))
            clock += WORD_SECONDS
        utterances.append(Utterance(speaker=speaker, role=turn["role"], start=words[0].start, end=words[-1].end,
                                    text=turn["text"], words=words))
        clock += PAUSE
    source = Source(path=f"{call['id']}.txt", sha256="0" * 64, size_bytes=1, container="text", codec="none",
                    sample_rate=8000, channels=2, duration=clock, layout="stereo")
    processing = Processing(callscope_version="bench", asr_model="none", config_hash="bench", created_at="now")
    return Conversation(id=call["id"], source=source, language=call["lang"], duration=clock,
                        utterances=utterances, processing=processing)


def figures(truth: list[str], found: list[str]) -> dict:
    negative = np.array([t == "negative" for t in truth]) == np.array([f == "negative" for f in found])
    return {"n": len(truth), "direction": round(float(negative.mean()), 3),
            "accuracy": round(float(np.mean([t == f for t, f in zip(truth, found)])), 3),
            "macro_f1": round(float(f1_score(truth, found, average="macro")), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="1,2", help="negative_weight values to score")
    parser.add_argument("--end-weights", default="0,0.1,0.2,0.3,0.5", help="end_weight values to score")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    settings = EnrichSettings()
    enricher = Enricher(settings)
    result = {}
    for split, path in SPLITS.items():
        calls = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        scored = []         # per call: customer utterance scores, their seconds, the last third's score
        for call in calls:
            conversation = as_conversation(call)
            enricher.enrich(conversation)
            customer = [u for u in conversation.utterances if u.role == "customer"]
            scored.append((np.array([u.sentiment_score for u in customer]),
                           np.array([max(u.speech_seconds(), 0.01) for u in customer]),
                           conversation.analysis.trajectory.end))
        truth = [call["overall"] for call in calls]
        grid = [(float(w), float(e)) for w in args.weights.split(",") for e in args.end_weights.split(",")]
        for weight, end_weight in grid:
            found = [overall_sentiment(s, t, weight, settings.sentiment_threshold, end, end_weight)[0]
                     for s, t, end in scored]
            for lang in ("all", "en", "fr"):
                keep = [i for i, call in enumerate(calls) if lang in ("all", call["lang"])]
                row = figures([truth[i] for i in keep], [found[i] for i in keep])
                result[f"{split}/{lang}/negative_weight={weight:g}/end_weight={end_weight:g}"] = row
                print(f"{split:5} {lang:3} negative_weight {weight:<3g} end_weight {end_weight:<4g} "
                      f"direction {row['direction']:.3f} accuracy {row['accuracy']:.3f} "
                      f"macro-F1 {row['macro_f1']:.3f} (n {row['n']})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
