"""Benchmark diarisation: DER on held-out sets, speed (x real time) and memory on a long call.

DER (no collar, overlap scored) through the public `Diariser.diarise` API on:
pyannote's sample, the same band-limited through 8 kHz (telephone), and the
AMI debug development and test files (if ../shared/data is present).
Speed: the sample diarised --repeats times after a warm-up. Long call: the
sample repeated with pauses up to --long-minutes, timed, with its DER and the
process's peak RSS.

    python benchmarks/bench_diarization.py [--threads N] [--long-minutes 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
from pyannote.core import Annotation, Segment

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tune_diarization import AMI, ami_files, sample_file, telephone  # noqa: E402

from callscope.evaluation.der import score  # noqa: E402
from callscope.pipeline.diarise import DiarisationSettings, Diariser  # noqa: E402

PAUSE_SECONDS = 2.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def hypothesis(diariser: Diariser, file: dict) -> Annotation:
    result = diariser.diarise(file["waveform"][0].numpy())
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: all cores)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--long-minutes", type=float, default=20.0, help="0 to skip the long call")
    parser.add_argument("--skip-der", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    started = time.perf_counter()
    diariser = Diariser(DiarisationSettings(threads=args.threads))
    report = {"settings": diariser.settings.model_dump(), "load_seconds": round(time.perf_counter() - started, 1),
              "rss_after_load_mb": round(peak_rss_mb())}
    print(f"settings: {report['settings']}\nmodels loaded in {report['load_seconds']} s")

    if not args.skip_der:
        print("DER (collar 0, overlap scored):")
        report["der"] = {"sample": der_table(diariser, "sample", [sample_file(), telephone(sample_file())])}
        if AMI.is_dir():
            for subset in ("development", "test"):
                report["der"][subset] = der_table(diariser, subset, ami_files(subset))
            ami = [row["der"] for subset in ("development", "test")
                   for row in report["der"][subset]["files"].values()]
            report["der"]["ami_dev_test_mean"] = round(float(np.mean(ami)), 2)
            print(f"  AMI development+test mean file DER {report['der']['ami_dev_test_mean']:.2f}%")

    waveform = sample_file()["waveform"][0].numpy()
    diariser.diarise(waveform)  # warm-up
    wall, cpu = [], []
    for _ in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        diariser.diarise(waveform)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    seconds = len(waveform) / 16000
    report["speed"] = {"audio_seconds": seconds, "median_wall_seconds": round(float(np.median(wall)), 3),
                       "x_real_time": round(seconds / float(np.median(wall)), 1),
                       "cpu_seconds": round(float(np.median(cpu)), 3)}
    print(f"speed: {seconds:.0f} s sample in {report['speed']['median_wall_seconds']} s wall "
          f"(median of {args.repeats}) = {report['speed']['x_real_time']}x real time, "
          f"{report['speed']['cpu_seconds']} s CPU")

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
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
