"""2,000 chat conversations of about 12 messages into the store and the reports: how long, and where
the time goes (issue 16). SYNTHETIC data: chats generated from templates and the default taxonomy's
reason examples (tests/fixtures/synthetic_chats.py), written as conversation JSONL and read by
`callscope run`'s own reader.

    python benchmarks/bench_chats.py [--chats 2000] [--out DIR] [--json FILE]

Runs the real batch (BatchRunner: reading, the text models over TEXT_CHUNK threads at a time,
outputs, store, corpus figures and topics) and then `build_reports`, timing each stage by wrapping
the functions the batch calls; the figure is the wall time from start (models loaded inside it)
to the reports written, with the CPU seconds the process used (on a shared machine the wall time
says more about the neighbours than about callscope).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
from collections import defaultdict
from contextlib import ExitStack, contextmanager
from pathlib import Path
from time import perf_counter, process_time

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from callscope import batch as batch_module  # noqa: E402
from callscope.api import build_reports  # noqa: E402
from callscope.batch import BatchRunner  # noqa: E402
from callscope.config import Settings  # noqa: E402
from callscope.corpus import topics as topics_module  # noqa: E402
from callscope.nlp import embeddings  # noqa: E402
from callscope.pipeline import enrich as enrich_module  # noqa: E402
from callscope.store import Store  # noqa: E402
from tests.fixtures.synthetic_chats import generate_threads, write_jsonl  # noqa: E402

seconds: dict[str, float] = defaultdict(float)
cpu_seconds: dict[str, float] = defaultdict(float)


@contextmanager
def timed(owner, name: str, label: str):
    """`owner.name` (a function or method) adds its wall time to seconds[label] and the process's
    CPU time (all its threads) to cpu_seconds[label] while inside."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        started, cpu_started = perf_counter(), process_time()
        try:
            return original(*args, **kwargs)
        finally:
            seconds[label] += perf_counter() - started
            cpu_seconds[label] += process_time() - cpu_started

    setattr(owner, name, wrapper)
    try:
        yield
    finally:
        setattr(owner, name, original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--out", type=Path, help="output folder (default: a temporary one, removed)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench_chats_"))
    out = args.out or work / "out"
    if out.exists():
        shutil.rmtree(out)
    export = write_jsonl(generate_threads(args.chats, seed=0), work / "chats.jsonl")
    messages = sum(len(json.loads(line)["turns"]) for line in export.read_text().splitlines())
    settings = Settings()
    stages = [
        (batch_module, "read_text_input", "read the export"),
        (batch_module, "text_processor_for", "load the text models"),
        (enrich_module.Enricher, "_score_utterances", "models: sentiment + emotion (batched)"),
        (embeddings._Shared, "encode", "models: sentence embeddings (all calls)"),
        (enrich_module.Enricher, "_reason", "per chat: reason"),
        (enrich_module.AspectAnalyzer, "analyse", "per chat: aspects"),
        (enrich_module.SignalDetector, "detect", "per chat: signals"),
        (batch_module, "write_outputs", "write JSON + TXT"),
        (Store, "upsert_many", "store upserts"),
        (batch_module, "update_corpus", "corpus figures + topics"),
        (topics_module, "discover", "topics: BERTopic (UMAP, HDBSCAN, keywords)"),
        (topics_module, "_quotes", "topics: quotes"),
    ]
    started = perf_counter()
    with ExitStack() as stack:
        for owner, name, label in stages:
            stack.enter_context(timed(owner, name, label))
        summary = BatchRunner(settings, out).run([export])
    batch_seconds = perf_counter() - started
    reports_started, reports_cpu = perf_counter(), process_time()
    build_reports(out, settings=settings)
    seconds["reports"] = perf_counter() - reports_started
    cpu_seconds["reports"] = process_time() - reports_cpu
    total = perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime     # all threads of this process, generation of the data included
    conversations = [json.loads(p.read_text()) for p in sorted(out.glob("*.json")) if p.name != "manifest.json"]
    process = defaultdict(float)
    for conversation in conversations:
        for stage, value in conversation["processing"]["seconds"].items():
            process[stage] += value

    figures = {
        "data": "synthetic", "chats": args.chats, "messages": messages, "processed": summary.processed,
        "failed": len(summary.failures), "cpu_count": os.cpu_count(), "load_average": os.getloadavg(),
        "batch_seconds": round(batch_seconds, 1), "total_seconds": round(total, 1), "cpu_seconds": round(cpu, 1),
        "torch_threads": torch.get_num_threads(), "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "stages": {label: round(value, 1) for label, value in seconds.items()},
        "stages_cpu": {label: round(value, 1) for label, value in cpu_seconds.items()},
        "process_many": {stage: round(value, 1) for stage, value in process.items()},
    }
    print(f"{args.chats} synthetic chats ({messages} messages): {summary.processed} processed, "
          f"{len(summary.failures)} failed; batch {batch_seconds:.0f} s, with reports {total:.0f} s "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores); {cpu:.0f} CPU seconds in all")
    print(f"  {'stage':45s} {'wall':>9s} {'CPU':>9s}   (torch on {torch.get_num_threads()} threads)")
    for label, value in figures["stages"].items():
        print(f"  {label:45s} {value:7.1f} s {figures['stages_cpu'][label]:7.1f} s")
    print("  process_many per stage: " + ", ".join(f"{k} {v:.1f} s" for k, v in figures["process_many"].items()))
    print("  (embeddings are timed inside the stages that ask for them; stages overlap, they do not add up)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    if not args.out:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
