"""Threads or Dask: the same batch with `--jobs N` and with `--cluster local:N`, one after the other in one run,
and what Dask itself costs (docs/cluster.md).

    python benchmarks/bench_cluster.py [--devset /work/phone_dev] [--items ID ...] [--workers 2] [--work DIR]

Inputs: items of the real-speech phone development set (benchmarks/phone_devset.py); by default its four
real SpokenWOZ phone calls, two as stereo and two mixed to mono (448 s). Each mode runs the full pipeline
(`callscope.run_batch`, reports off) into a fresh output folder, models loaded from scratch (threads: once in
this process; Dask: once in each worker). Printed per mode: audio seconds, wall seconds, x real time, CPU
seconds (this process and its children, i.e. the Dask workers) and the machine's load average; then Dask's own
costs measured apart: starting a LocalCluster of N workers, the round trip of an empty task, and the round trip
of one processed call's Conversation (what every call sends back to the driver); and the calls whose outputs
differ between the two modes (JSON without `processing`, other files byte for byte). The machine may be
shared: the load average says how much the wall figures are worth.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import threading
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from callscope import api  # noqa: E402
from callscope.config import Settings  # noqa: E402
from callscope.conversation import Conversation  # noqa: E402

REAL_CALLS = ["spokenwoz_MUL1423_stereo", "spokenwoz_SNG0072_mono", "spokenwoz_SNG0480_stereo",
              "spokenwoz_SNG0696_mono"]
ROUND_TRIPS = 30


def cpu_seconds() -> float:
    """User + system CPU of this process and its waited-for children (the Dask workers once closed)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class PeakMemory(threading.Thread):
    """Peak RSS of this process and of its largest child process (a Dask worker), sampled every second."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop, self.driver_gb, self.worker_gb = threading.Event(), 0.0, 0.0

    def run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self.stop.wait(1.0):
            try:
                children = [c.memory_info().rss for c in me.children(recursive=True)]
                self.driver_gb = max(self.driver_gb, me.memory_info().rss / 1e9)
                self.worker_gb = max(self.worker_gb, max(children, default=0) / 1e9)
            except psutil.Error:       # a worker that just ended
                continue


def run_mode(name: str, settings: Settings, inputs: list[Path], out: Path) -> dict:
    load_before, cpu_before, started = os.getloadavg()[0], cpu_seconds(), perf_counter()
    memory = PeakMemory()
    memory.start()
    summary = api.run_batch(inputs, out, settings, reports=False)
    wall = perf_counter() - started
    memory.stop.set()
    assert not summary.failures, summary.failures
    return {"mode": name, "calls": summary.processed, "audio_s": round(summary.audio_seconds, 1),
            "wall_s": round(wall, 1), "x_real_time": round(summary.audio_seconds / wall, 2),
            "cpu_s": round(cpu_seconds() - cpu_before, 1),
            "load_avg_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)],
            "peak_rss_gb": {"driver": round(memory.driver_gb, 2), "largest_worker": round(memory.worker_gb, 2)}}


def differing_calls(one: Path, other: Path) -> list[str]:
    """Calls whose outputs differ between two output folders (JSON without `processing`, and every
    other per-call file byte for byte)."""
    differing = []
    for path in sorted(one.glob("*.json")):
        if path.name == "manifest.json":
            continue
        mine, theirs = (json.loads(p.read_text()) for p in (path, other / path.name))
        mine.pop("processing"), theirs.pop("processing")
        same_files = all(f.read_bytes() == (other / f.name).read_bytes()
                         for f in one.glob(f"{path.stem}.*") if f.suffix != ".json")
        if mine != theirs or not same_files:
            differing.append(path.stem)
    return differing


def dask_costs(workers: int, conversation: Conversation) -> dict:
    """Start-up of a LocalCluster like `local:N`'s, and the round trips every call pays."""
    import dask
    from distributed import Client, LocalCluster

    from callscope.executors.cluster import SCHEDULER_CONFIG

    started = perf_counter()
    with dask.config.set(SCHEDULER_CONFIG):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, memory_limit=0, dashboard_address=None,
                               silence_logs=40)
    with cluster, Client(cluster) as client:
        client.wait_for_workers(workers)
        start_up = perf_counter() - started

        def round_trip(payload) -> float:
            began = perf_counter()
            client.submit(lambda value: value, payload, pure=False).result()
            return perf_counter() - began

        empty = [round_trip(None) for _ in range(ROUND_TRIPS)]
        call = [round_trip(conversation) for _ in range(ROUND_TRIPS)]
    return {"local_cluster_start_s": round(start_up, 2), "empty_task_ms": round(1000 * statistics.median(empty), 1),
            "conversation_round_trip_ms": round(1000 * statistics.median(call), 1),
            "conversation_json_kb": round(len(conversation.model_dump_json()) / 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", type=Path, default=Path("/work/phone_dev"))
    parser.add_argument("--items", nargs="+", default=REAL_CALLS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", type=Path, default=None, help="output folders (default: a temporary folder)")
    args = parser.parse_args()
    manifest = json.loads((args.devset / "manifest.json").read_text())
    paths = {item["id"]: args.devset / item["path"] for item in manifest["items"]}
    inputs = [paths[item] for item in args.items]
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_cluster-"))
    results = []
    for name, run in (("threads", {"jobs": args.workers}), ("dask", {"cluster": f"local:{args.workers}"})):
        results.append(run_mode(f"{name} ({args.workers})", Settings(run=run), inputs, work / name))
        print(json.dumps(results[-1]), flush=True)
    first = Conversation.model_validate_json((work / "dask" / f"{inputs[0].stem}.json").read_bytes())
    print(json.dumps({"dask_costs": dask_costs(args.workers, first), "cpu_count": os.cpu_count(),
                      "inputs": args.items, "differing_outputs": differing_calls(work / "threads", work / "dask")}),
          flush=True)


if __name__ == "__main__":
    main()
