"""Topics on CLINC150: the topic pipeline's clusters against the 150 intent labels.

Settings are chosen on the in-scope *val* utterances (3,000): every combination of
--sizes (topics.min_topic_size) and --selections (HDBSCAN cluster selection) is scored, and
the one with the highest NMI whose outlier share after reduction is at most 15% wins. The
in-scope *test* utterances (4,500) are then scored once with the chosen settings, for three
UMAP seeds, and once with the shipped defaults. Figures as `callscope eval topics` gives them
(callscope/evaluation/topics.py): NMI, ARI, outlier share, topics, keyword NPMI.

    python benchmarks/bench_topics_clinc.py [--data PATH] [--cache /tmp/callscope-embeddings]
        [--sizes 5,10,15,20] [--selections eom,leaf] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from time import perf_counter

import numpy as np

from bench_reasons_clinc import DATA, CachedEmbedder
from callscope.config import TopicSettings
from callscope.corpus.topics import clean, fit_topics, term_sets
from callscope.evaluation.topics import score
from callscope.nlp.embeddings import get_embedder

MAX_OUTLIERS = 0.15
TARGET_NMI = 0.80
TEST_SEEDS = (42, 0, 1)


class MemoEmbedder:
    """Looks texts up among embeddings already computed; encodes only the others."""

    def __init__(self, embedder, texts: list[str], embeddings: np.ndarray):
        self.embedder, self.name = embedder, embedder.name
        self.known = dict(zip(texts, embeddings))

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.known]
        if missing:
            self.known.update(zip(missing, self.embedder.encode(missing)))
        return np.stack([self.known[t] for t in texts]) if texts else np.zeros((0, self.embedder.dim), np.float32)


def run(texts: list[str], labels: list[str], settings: TopicSettings, embedder, embeddings: np.ndarray) -> dict:
    """One fit, scored like `callscope eval topics`."""
    started = perf_counter()
    model, assignment = fit_topics(texts, settings, MemoEmbedder(embedder, texts, embeddings), embeddings)
    seconds = perf_counter() - started
    keywords = {t.topic_id: t.keywords for t in model.topics}
    figures = score(labels, assignment.topic_ids, keywords, term_sets([clean(t) for t in texts], True))
    return {**figures, "seconds": round(seconds, 1),
            "settings": {"min_topic_size": settings.min_topic_size, "cluster_selection": settings.cluster_selection,
                         "seed": settings.seed}}


def row(split: str, result: dict) -> str:
    s = result["settings"]
    return (f"| {split} | {s['min_topic_size']} | {s['cluster_selection']} | {s['seed']} | {result['nmi']:.3f} | "
            f"{result['ari']:.3f} | {result['outlier_share']:.1%} | {result['n_topics']} | {result['npmi']:.3f} | "
            f"{result['seconds']:.0f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/callscope-embeddings"))
    parser.add_argument("--sizes", default="5,10,15,20")
    parser.add_argument("--selections", default="eom,leaf")
    parser.add_argument("--out", type=Path, default=None, help="Folder for results.json.")
    args = parser.parse_args()

    data = json.loads(args.data.read_text(encoding="utf-8"))
    embedder = CachedEmbedder(get_embedder("minilm"), args.cache)
    splits = {}
    for split in ("val", "test"):
        texts, labels = [t for t, _ in data[split]], [label for _, label in data[split]]
        splits[split] = (texts, labels, embedder.encode(texts))
    print("| split | min_topic_size | selection | seed | NMI | ARI | outliers | topics | NPMI | time |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    grid = []
    for size in map(int, args.sizes.split(",")):
        for selection in args.selections.split(","):
            settings = TopicSettings(min_topic_size=size, cluster_selection=selection)
            grid.append(run(*splits["val"][:2], settings, embedder, splits["val"][2]))
            print(row("val", grid[-1]), flush=True)
    allowed = [r for r in grid if r["outlier_share"] <= MAX_OUTLIERS] or grid
    chosen = max(allowed, key=lambda r: r["nmi"])["settings"]
    tests = []
    for seed in TEST_SEEDS:
        settings = TopicSettings(min_topic_size=chosen["min_topic_size"],
                                 cluster_selection=chosen["cluster_selection"], seed=seed)
        tests.append(run(*splits["test"][:2], settings, embedder, splits["test"][2]))
        print(row("test (chosen)", tests[-1]), flush=True)
    default = run(*splits["test"][:2], TopicSettings(), embedder, splits["test"][2])
    print(row("test (defaults)", default), flush=True)
    nmis = [r["nmi"] for r in tests]
    summary = {"chosen": chosen, "test_nmi_mean": float(np.mean(nmis)), "test_nmi_min": min(nmis),
               "test_outliers_max": max(r["outlier_share"] for r in tests),
               "target_met": min(nmis) >= TARGET_NMI and all(r["outlier_share"] <= MAX_OUTLIERS for r in tests)}
    print(json.dumps(summary))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(
            {"val": grid, "test": tests, "test_defaults": default, "summary": summary}, indent=1))


if __name__ == "__main__":
    main()
