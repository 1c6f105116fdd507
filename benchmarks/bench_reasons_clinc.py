"""Contact reasons on CLINC150: few-shot accuracy and out-of-scope rejection.

Builds a taxonomy from the first --shots training examples of each of the 150
intents (description: the intent's name), then scores the in-scope test set
(accuracy with `unknown` counted wrong, top-1 accuracy, macro-F1) and the
share of oos_test answered `unknown`, at two thresholds chosen on val +
oos_val (test is never used for any choice): "budget", the highest that leaves
at most 5% of in-scope val texts unknown, and "balanced", the one maximising
(in-scope accuracy + oos unknown rate) / 2. --calibrate refits the confidence calibration
constants of callscope/nlp/reasons.py on val + oos_val and prints them.

    python benchmarks/bench_reasons_clinc.py [--data PATH] [--embedders minilm,use]
        [--cache /tmp/callscope-embeddings] [--calibrate] [--out DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from time import perf_counter

import numpy as np

from callscope.evaluation.reasons import score
from callscope.nlp.embeddings import get_embedder
from callscope.nlp.reasons import ReasonClassifier
from callscope.nlp.taxonomy import UNKNOWN, Reason, Taxonomy

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "clinc150" / "data_full.json"
MAX_IN_SCOPE_UNKNOWN = 0.05


class CachedEmbedder:
    """An embedder whose outputs are kept as .npy files, keyed by a hash of the texts."""

    def __init__(self, embedder, folder: Path):
        self.embedder, self.name, self.folder = embedder, embedder.name, folder
        folder.mkdir(parents=True, exist_ok=True)

    def encode(self, texts: list[str]) -> np.ndarray:
        key = hashlib.sha256("\n".join([self.name, *texts]).encode()).hexdigest()[:20]
        path = self.folder / f"{self.name}-{key}.npy"
        if path.exists():
            return np.load(path)
        embeddings = self.embedder.encode(texts)
        np.save(path, embeddings)
        return embeddings


def clinc_taxonomy(train: list[list[str]], shots: int) -> Taxonomy:
    """The first `shots` examples of every intent, in file order."""
    examples: dict[str, list[str]] = {}
    for text, intent in train:
        if len(examples.setdefault(intent, [])) < shots:
            examples[intent].append(text)
    return Taxonomy(reasons=[Reason(id=intent, family="assistance", description=intent.replace("_", " "),
                                    examples=texts) for intent, texts in sorted(examples.items())])


def predictions(conf: np.ndarray, ids: list[str], threshold: float) -> tuple[list[str], list[str]]:
    best = [ids[i] for i in conf.argmax(1)]
    return [b if c >= threshold else UNKNOWN for b, c in zip(best, conf.max(1))], best


def tune_threshold(conf_in: np.ndarray, labels: list[str], conf_out: np.ndarray, ids: list[str],
                   rule: str) -> float:
    """The threshold picked by `rule` on val + oos_val.

    "budget": the highest one that leaves at most MAX_IN_SCOPE_UNKNOWN of in-scope texts unknown;
    "balanced": the one maximising (in-scope accuracy + out-of-scope unknown rate) / 2.
    """
    right = np.array([ids[i] == label for i, label in zip(conf_in.argmax(1), labels)])
    top_in, top_out = conf_in.max(1), conf_out.max(1)
    grid = np.round(np.arange(0.0, 1.0, 0.01), 2)
    if rule == "budget":
        return float(max(t for t in grid if (top_in < t).mean() <= MAX_IN_SCOPE_UNKNOWN))
    balanced = [((right & (top_in >= t)).mean() + (top_out < t).mean()) / 2 for t in grid]
    return float(grid[int(np.argmax(balanced))])


def fit_logistic(x: np.ndarray, y: np.ndarray, balanced: bool = False) -> tuple[float, float]:
    """Slope and intercept of a one-feature logistic regression."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1e4, class_weight="balanced" if balanced else None).fit(x[:, None], y)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def calibrate(clf: ReasonClassifier, val: list[list[str]], oos_val: list[list[str]]) -> dict:
    """Refit the calibration of reasons.py: P(in scope | cosine), P(right | log p), on val + oos_val."""
    sim_in, prob_in = clf.scores([t for t, _ in val], language="en")
    sim_out, prob_out = clf.scores([t for t, _ in oos_val], language="en")
    top_in, top_out = prob_in.argmax(1), prob_out.argmax(1)
    rows_in, rows_out = np.arange(len(val)), np.arange(len(oos_val))
    cosine = np.r_[sim_in[rows_in, top_in], sim_out[rows_out, top_out]]
    sim_slope, sim_bias = fit_logistic(cosine, np.r_[np.ones(len(val)), np.zeros(len(oos_val))], balanced=True)
    right = np.array([clf.ids[i] == label for i, (_, label) in zip(top_in, val)])
    prob_slope, prob_bias = fit_logistic(np.log(prob_in[rows_in, top_in]), right)
    return {"sim_slope": sim_slope, "sim_centre": -sim_bias / sim_slope,
            "prob_slope": prob_slope, "prob_bias": prob_bias}


def expected_calibration_error(confidence: np.ndarray, right: np.ndarray, bins: int = 10) -> float:
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    return float(sum(abs(right[which == b].mean() - confidence[which == b].mean()) * (which == b).mean()
                     for b in range(bins) if (which == b).any()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--shots", type=int, default=10)
    parser.add_argument("--embedders", default="minilm,use")
    parser.add_argument("--cache", type=Path, help="keep embeddings here as .npy (e.g. /tmp/callscope-embeddings)")
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()

    data = json.loads(args.data.read_text(encoding="utf-8"))
    embedders = [get_embedder(name) for name in args.embedders.split(",")]
    if args.cache:
        embedders = [CachedEmbedder(e, args.cache) for e in embedders]
    started = perf_counter()
    clf = ReasonClassifier(clinc_taxonomy(data["train"], args.shots), embedders)
    fit_seconds = perf_counter() - started
    figures: dict = {"embedders": args.embedders, "shots": args.shots, "fit_seconds": round(fit_seconds, 2)}
    if args.calibrate:
        figures["calibration"] = calibrate(clf, data["val"], data["oos_val"])

    conf = {split: clf.confidences([t for t, _ in data[split]], language="en")
            for split in ("val", "oos_val", "test", "oos_test")}
    test = data["test"] + data["oos_test"]
    test_conf = np.vstack([conf["test"], conf["oos_test"]])
    labels = [label for _, label in test]
    val_labels = [label for _, label in data["val"]]
    for rule in ("budget", "balanced"):
        threshold = tune_threshold(conf["val"], val_labels, conf["oos_val"], clf.ids, rule)
        predicted, best = predictions(test_conf, clf.ids, threshold)
        figures[rule] = {"threshold": threshold, **score(labels, predicted, best, clf.ids)}
    right = np.array([clf.ids[i] == label for i, label in zip(test_conf.argmax(1), labels)])
    figures["ece_test"] = expected_calibration_error(test_conf.max(1), right)

    sample = [t for t, _ in data["test"][::15]]      # 300 texts, embedded afresh, language detected
    clf.embedders = [get_embedder(name) for name in args.embedders.split(",")]
    started = perf_counter()
    clf.classify(sample)
    figures["texts_per_second"] = round(len(sample) / (perf_counter() - started), 1)

    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"reasons_clinc_{args.embedders.replace(',', '+')}.json"
    path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    for key, value in figures.items():
        if isinstance(value, dict):
            print(f"{key}: " + ", ".join(f"{k} {v:.4g}" for k, v in value.items() if isinstance(v, (int, float))))
        else:
            print(f"{key}: {value}")
    print("top confusions:", ", ".join(f"{c['label']}->{c['predicted']} ({c['count']})"
                                       for c in figures["budget"]["top_confusions"][:5]))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
