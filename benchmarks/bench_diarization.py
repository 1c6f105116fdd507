"""Benchmark diarisation: DER on held-out sets, speed (x real time) on mono audio, memory.

DER (no collar, overlap scored) through the public `Diariser.diarise` API on:
pyannote's sample, the same band-limited through 8 kHz (telephone), the AMI
debug development and test files (if ../shared/data is present) and the mono
sample calls (reference turns from sample_audio/*.json).
Speed: the sample diarised --repeats times after a warm-up, then each mono
sample call once; wall and CPU time (the machine may be shared: the load
average is reported). Long call (--long-minutes, off by default; the full
pipeline has its own benchmark, bench_long_call.py): the sample repeated with
pauses, timed, with its DER and the process's peak RSS.

    python benchmarks/bench_diarization.py [--set segmentation_step=0.2 ...] [--long-minutes 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
from pyannote.core import Annotation, Segment

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tune_diarization import AMI, ami_files, sample_file, telephone  # noqa: E402

from callscope.evaluation.der import score  # noqa: E402
from callscope.pipeline.audio import load_audio  # noqa: E402
from callscope.pipeline.diarise import DiarisationSettings, Diariser  # noqa: E402

PAUSE_SECONDS = 2.0
SAMPLES = Path(__file__).resolve().parent.parent / "sample_audio"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def hypothesis(diariser: Diariser, file: dict) -> Annotation:
    result = diariser.diarise(np.asarray(file["waveform"][0]))
    annotation = Annotation(uri=file["uri"])
    for i, turn in enumerate(result.turns):
        annotation[Segment(turn.start, turn.end), i] = turn.speaker
    return annotation


def der_table(diariser: Diariser, name: str, files: list[dict]) -> dict:
    hypotheses = {f["uri"]: hypothesis(diariser, f) for f in files}
    per_file, overall = score({f["uri"]: f["annotation"] for f in files}, hypotheses,
                              {f["uri"]: f["annotated"] for f in files if "annotated" in f})
    rows = {s.uri: {"der": round(100 * s.der, 2), "missed": round(s.missed, 2),
                    "false_alarm": round(s.false_alarm, 2), "confusion": round(s.confusion, 2),
                    "speakers": f"{len(hypotheses[s.uri].labels())}/{len(f['annotation'].labels())}"}
            for s, f in zip(per_file, files)}
    for uri, row in rows.items():
        print(f"  {name:12s} {uri:10s} DER {row['der']:6.2f}%  miss {row['missed']:5.2f}s  "
              f"fa {row['false_alarm']:5.2f}s  conf {row['confusion']:5.2f}s  speakers hyp/ref {row['speakers']}")
    mean = float(np.mean([s.der for s in per_file]))
    print(f"  {name:12s} overall DER {100 * overall.der:.2f}%  mean file DER {100 * mean:.2f}%")
    return {"files": rows, "overall": round(100 * overall.der, 2), "mean": round(100 * mean, 2)}


def mono_calls() -> list[dict]:
    """The mono sample calls with their reference turns (agent/customer)."""
    files = []
    for path in sorted(SAMPLES.glob("*.json")):
        truth = json.loads(path.read_text())
        if truth["channels"] != 1:
            continue
        reference = Annotation(uri=truth["id"])
        for i, turn in enumerate(truth["turns"]):
            reference[Segment(turn["start"], turn["end"]), i] = turn["role"]
        waveform = load_audio(SAMPLES / truth["audio"], sha256="").tracks[0]
        files.append({"uri": truth["id"], "waveform": waveform[None], "annotation": reference})
    return files


def long_call(minutes: float) -> dict:
    """The sample (30 s, 2 speakers) repeated after 2 s pauses, with its reference."""
    sample = sample_file()
    piece = sample["waveform"][0].numpy()
    gap = np.zeros(int(PAUSE_SECONDS * 16000), np.float32)
    repeats = int(np.ceil(minutes * 60 / (len(piece) / 16000 + PAUSE_SECONDS)))
    reference = Annotation(uri="long")
    for r in range(repeats):
        offset = r * (len(piece) / 16000 + PAUSE_SECONDS)
        for segment, track, label in sample["annotation"].itertracks(yield_label=True):
            reference[Segment(segment.start + offset, segment.end + offset), (r, track)] = label
    waveform = np.concatenate([np.concatenate([piece, gap])] * repeats)[: int(minutes * 60 * 16000)]
    return {"uri": "long", "waveform": waveform, "annotation": reference.crop(Segment(0, len(waveform) / 16000))}


def timed(diariser: Diariser, waveform: np.ndarray) -> tuple[float, float]:
    """Wall and CPU seconds of one diarisation."""
    t0, c0 = time.perf_counter(), time.process_time()
    diariser.diarise(waveform)
    return time.perf_counter() - t0, time.process_time() - c0


def speed(diariser: Diariser, repeats: int, calls: list[dict]) -> dict:
    """x real time on the sample (median of `repeats`) and on the mono sample calls (once each)."""
    waveform = sample_file()["waveform"][0].numpy()
    load_before = os.getloadavg()[0]
    diariser.diarise(waveform)  # warm-up
    runs = [timed(diariser, waveform) for _ in range(repeats)]
    wall, cpu = float(np.median([r[0] for r in runs])), float(np.median([r[1] for r in runs]))
    seconds = len(waveform) / 16000
    report = {"sample": {"audio_seconds": seconds, "median_wall_seconds": round(wall, 2),
                         "x_real_time": round(seconds / wall, 1), "cpu_seconds": round(cpu, 2),
                         "x_real_time_per_cpu_second": round(seconds / cpu, 1)}}
    print(f"speed: {seconds:.0f} s sample in {wall:.2f} s wall (median of {repeats}) = "
          f"{report['sample']['x_real_time']}x real time; {cpu:.2f} s CPU")
    if calls:
        runs = [timed(diariser, call["waveform"][0]) for call in calls]
        seconds = sum(len(call["waveform"][0]) for call in calls) / 16000
        wall, cpu = sum(r[0] for r in runs), sum(r[1] for r in runs)
        report["mono_calls"] = {"files": len(calls), "audio_seconds": round(seconds, 1),
                                "wall_seconds": round(wall, 1), "x_real_time": round(seconds / wall, 1),
                                "cpu_seconds": round(cpu, 1), "x_real_time_per_cpu_second": round(seconds / cpu, 1)}
        print(f"speed: {len(calls)} mono sample calls, {seconds:.0f} s of audio in {wall:.1f} s wall = "
              f"{report['mono_calls']['x_real_time']}x real time; {cpu:.1f} s CPU")
    report["load_average"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
    report["cores"] = os.cpu_count()
    print(f"speed: load average {report['load_average'][0]} before, {report['load_average'][1]} after, "
          f"{report['cores']} cores")
    return report


def overrides(pairs: list[str]) -> dict:
    """KEY=VALUE pairs as DiarisationSettings fields (values parsed as JSON when they can be)."""
    settings = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            settings[key] = json.loads(value)
        except json.JSONDecodeError:
            settings[key] = value
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="DiarisationSettings overrides, e.g. segmentation_step=0.2 second_voice=false")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--long-minutes", type=float, default=0.0, help="diarise a long call too (0: skip)")
    parser.add_argument("--skip-der", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    started = time.perf_counter()
    diariser = Diariser(DiarisationSettings(**overrides(args.set)))
    report = {"settings": diariser.settings.model_dump(), "load_seconds": round(time.perf_counter() - started, 1),
              "rss_after_load_mb": round(peak_rss_mb())}
    print(f"settings: {report['settings']}\nmodels loaded in {report['load_seconds']} s")
    calls = mono_calls()

    if not args.skip_der:
        print("DER (collar 0, overlap scored):")
        report["der"] = {"sample": der_table(diariser, "sample", [sample_file(), telephone(sample_file())]),
                         "mono_calls": der_table(diariser, "mono calls", calls)}
        if AMI.is_dir():
            for subset in ("development", "test"):
                report["der"][subset] = der_table(diariser, subset, ami_files(subset))
            ami = [row["der"] for subset in ("development", "test")
                   for row in report["der"][subset]["files"].values()]
            report["der"]["ami_dev_test_mean"] = round(float(np.mean(ami)), 2)
            print(f"  AMI development+test mean file DER {report['der']['ami_dev_test_mean']:.2f}%")

    if not args.skip_speed:
        report["speed"] = speed(diariser, args.repeats, calls)

    if args.long_minutes:
        call = long_call(args.long_minutes)
        before = peak_rss_mb()
        t0 = time.perf_counter()
        result = diariser.diarise(call["waveform"])
        elapsed = time.perf_counter() - t0
        hyp = Annotation(uri="long")
        for i, turn in enumerate(result.turns):
            hyp[Segment(turn.start, turn.end), i] = turn.speaker
        _, overall = score({"long": call["annotation"]}, {"long": hyp})
        duration = len(call["waveform"]) / 16000
        report["long"] = {"audio_seconds": duration, "wall_seconds": round(elapsed, 1),
                          "x_real_time": round(duration / elapsed, 1), "speakers": len(result.speakers),
                          "der": round(100 * overall.der, 2), "peak_rss_mb_before": round(before),
                          "peak_rss_mb": round(peak_rss_mb())}
        print(f"long call: {duration / 60:.0f} min in {elapsed:.1f} s = {report['long']['x_real_time']}x real time, "
              f"{len(result.speakers)} speakers, DER {report['long']['der']:.2f}%, "
              f"peak RSS {report['long']['peak_rss_mb_before']} -> {report['long']['peak_rss_mb']} MB")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
