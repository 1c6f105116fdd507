"""Aspect-based sentiment: the project's own aspect clauses, and aspect-term polarity on public data.

Own data (written for the project): benchmarks/data/cs_aspect_clauses.jsonl, 66 customer clauses
(41 English, 25 French) labelled with their taxonomy aspect (or none: small talk) and polarity; the
figures are those tests/test_aspects.py holds floors for.

Third-party data (not in the repository; each set is skipped when its file is absent): per aspect
term, the polarity callscope gives the clause that holds it (`split_clauses`, then the clause's
polarity as aspects get it: `AspectAnalyzer.polarity`), against the term's gold polarity (positive,
negative or neutral; "conflict" terms are left out). Also given: the whole sentence's polarity
for every term (no clause split), and the figures on the sentences with a contrast connective.
- MAMS aspect-term (ATSA) val and test, Jiang et al. 2019, Apache-2.0
  (github.com/siat-nlp/MAMS-for-ABSA, data/MAMS-ATSA/raw/{val,test}.xml): restaurant review
  sentences, each with at least two aspect terms of different polarities.
- SemEval-2014 Task 4 test gold, laptops and restaurants (Pontiki et al. 2014; licence not
  stated by the organisers: use for evaluation only), Laptops_Test_Gold.xml, Restaurants_Test_Gold.xml.

    python benchmarks/bench_aspects.py [--mams DIR] [--semeval DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from callscope.nlp.aspects import AspectAnalyzer, split_clauses
from callscope.nlp.heads import Classifier
from callscope.nlp.opinions import POLARITIES
from callscope.nlp.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent
OWN = ROOT / "benchmarks" / "data" / "cs_aspect_clauses.jsonl"
THIRD_PARTY = {"mams_val": ("mams", "atsa_val.xml"), "mams_test": ("mams", "atsa_test.xml"),
               "semeval14_laptops_test": ("semeval", "Laptops_Test_Gold.xml"),
               "semeval14_restaurants_test": ("semeval", "Restaurants_Test_Gold.xml")}
CONTRAST = re.compile(r"\b(but|however|although|though|whereas|while|yet)\b", re.IGNORECASE)


def own_figures(analyzer: AspectAnalyzer) -> dict:
    """Aspect right, small talk left unassigned, polarity right (assigned clauses), per language and all."""
    rows = [json.loads(line) for line in OWN.read_text("utf-8").splitlines() if line.strip()]
    tallies: dict[str, list[list[bool]]] = {"aspect": [], "small_talk": [], "polarity": []}
    for lang in ("en", "fr"):
        items = [r for r in rows if r["lang"] == lang]
        results = analyzer.classify([r["text"] for r in items], lang)
        tallies["aspect"].append([found == r["aspect"] for r, (found, _, _) in zip(items, results) if r["aspect"]])
        tallies["small_talk"].append([found is None for r, (found, _, _) in zip(items, results) if not r["aspect"]])
        tallies["polarity"].append([POLARITIES[int(probs.argmax())] == r["polarity"]
                                    for r, (found, _, probs) in zip(items, results) if r["aspect"] and found])
    return {name: {"en": f"{sum(en)}/{len(en)}", "fr": f"{sum(fr)}/{len(fr)}", "all": round(np.mean(en + fr), 3)}
            for name, (en, fr) in tallies.items()}


def aspect_terms(path: Path) -> list[tuple[str, int, str]]:
    """(sentence, term start, gold polarity) for every positive, negative or neutral aspect term."""
    terms = []
    for sentence in ET.parse(path).getroot().iter("sentence"):
        text = sentence.findtext("text")
        for term in sentence.iter("aspectTerm"):
            if term.get("polarity") in POLARITIES:
                terms.append((text, int(term.get("from")), term.get("polarity")))
    return terms


def holding_clause(text: str, start: int) -> str:
    """The clause of `text` that holds character `start` (the nearest one when a connective does)."""
    clauses = split_clauses(text)
    if not clauses:
        return text
    return min(clauses, key=lambda c: 0 if c.start <= start < c.end
               else min(abs(c.start - start), abs(c.end - start))).text


def scores(gold: list[str], found: list[str]) -> dict:
    return {"n": len(gold), "accuracy": round(float(np.mean([g == f for g, f in zip(gold, found)])), 3),
            "macro_f1": round(float(f1_score(gold, found, labels=list(POLARITIES), average="macro")), 3)}


def term_figures(analyzer: AspectAnalyzer, path: Path) -> dict:
    """Term polarity from the holding clause and from the whole sentence, on all terms and on contrast sentences."""
    terms = aspect_terms(path)
    gold = [polarity for _, _, polarity in terms]
    contrast = [bool(CONTRAST.search(text)) for text, _, _ in terms]
    result = {}
    for name, texts in (("clause", [holding_clause(text, start) for text, start, _ in terms]),
                        ("sentence", [text for text, _, _ in terms])):
        unique = sorted(set(texts))
        polarity = dict(zip(unique, analyzer.polarity(unique, "en").argmax(axis=1)))
        found = [POLARITIES[polarity[t]] for t in texts]
        result[name] = {"all": scores(gold, found),
                        "contrast": scores([g for g, c in zip(gold, contrast) if c],
                                           [f for f, c in zip(found, contrast) if c])}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mams", type=Path, help="folder holding MAMS atsa_val.xml and atsa_test.xml")
    parser.add_argument("--semeval", type=Path, help="folder holding the SemEval-2014 Task 4 test gold files")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    analyzer = AspectAnalyzer(load_taxonomy(), Classifier("sentiment"))
    result = {"own_clauses": own_figures(analyzer)}
    print("own clauses (written for the project):", json.dumps(result["own_clauses"]))
    folders = {"mams": args.mams, "semeval": args.semeval}
    for name, (folder, filename) in THIRD_PARTY.items():
        path = folders[folder] / filename if folders[folder] else None
        if path is None or not path.is_file():
            print(f"{name}: skipped ({filename} not given)")
            continue
        result[name] = term_figures(analyzer, path)
        for unit, figures in result[name].items():
            print(f"{name} (third-party), {unit}: " + "; ".join(
                f"{part} n={f['n']} accuracy {f['accuracy']} macro-F1 {f['macro_f1']}" for part, f in figures.items()))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
