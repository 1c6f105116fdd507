"""Contact reasons on customer-service speech, English and French, with the default taxonomy.

benchmarks/data/cs_reasons_dev.jsonl and cs_reasons.jsonl (test): what customers say in the first
minute of a call, 2 English and 2 French lines per reason of callscope/configs/taxonomy.yaml in each, plus
10 out-of-scope lines per language (label `unknown`), written apart from the taxonomy's examples
and the sample calls. Per file and language: accuracy (an `unknown` answer counts as wrong), top-1
accuracy (threshold ignored), macro-F1, and the `unknown` rate in and out of scope. Dev was used
to choose the taxonomy's French examples; test was scored afterwards.

    python benchmarks/bench_reasons_cs.py [--taxonomy FILE] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from callscope.evaluation.reasons import score
from callscope.nlp.reasons import load_classifier

ROOT = Path(__file__).resolve().parent.parent
SPLITS = {"dev": ROOT / "benchmarks" / "data" / "cs_reasons_dev.jsonl",
          "test": ROOT / "benchmarks" / "data" / "cs_reasons.jsonl"}
SHOWN = ("accuracy", "accuracy_top1", "macro_f1", "unknown_rate_in_scope", "unknown_rate_out_of_scope")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taxonomy", type=Path, help="taxonomy YAML (default callscope/configs/taxonomy.yaml)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    classifier = load_classifier(args.taxonomy)
    figures = {}
    print(f"{'split':6} {'lang':4} {'n':>4} " + " ".join(f"{name:>26}" for name in SHOWN))
    for split, path in SPLITS.items():
        items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for lang in ("en", "fr"):
            chosen = [item for item in items if item["lang"] == lang]
            results = classifier.classify([item["text"] for item in chosen], lang)
            found = score([item["label"] for item in chosen], [r.reason for r in results],
                          [r.best for r in results], classifier.ids)
            figures[f"{split}/{lang}"] = {"n": found["n"], **{name: round(found[name], 3) for name in SHOWN}}
            print(f"{split:6} {lang:4} {found['n']:>4} " + " ".join(f"{found[name]:>26.3f}" for name in SHOWN))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
