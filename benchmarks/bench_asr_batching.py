"""Batched vs sequential Whisper on real phone speech: WER and CPU seconds per variant (issue 17).

    python benchmarks/bench_asr_batching.py [--set /work/phone_dev_diar2] [--threads 2 1]
        [--variants sequential batched8 ...] [--only spokenwoz] [--json FILE]

Data: real speech only, phone_devset.py's set (docs/real_speech.md): SpokenWOZ real phone calls (each stereo
channel and the mono mix) and calls assembled from real speakers through a simulated phone line; every channel
with a reference transcript. All variants run in this one process on the same channels, taking turns channel
by channel so that a change in the machine's load falls on all of them alike. The plain faster-whisper ones
(`base` int8, the language given, word timestamps, Silero VAD with faster-whisper's defaults):
- sequential: `WhisperModel.transcribe(beam_size=5, vad_filter=True, word_timestamps=True, language=...)`,
  as bench_phone_asr.py's "plain" (temperature fallback, previous text as prompt);
- batched4/8/16: `BatchedInferencePipeline(model).transcribe(..., batch_size=4/8/16)`, same beam and VAD
  threshold and silence (the speech cut in chunks of at most 30 s), temperature 0 only (no fallback), no
  previous text; batched8_timestamps: the same with timestamp tokens (`without_timestamps=False`);
- beam3, beam2: sequential with fewer beams; no_fallback: sequential at temperature 0 only;
  no_condition: sequential with `condition_on_previous_text=False` (callscope's setting).
Each variant runs once per CTranslate2 `cpu_threads` value of --threads (one model per value).
Prints WER % (callscope.evaluation.asr, jiwer) per subset (spokenwoz stereo channels, spokenwoz mono,
assembled) and overall, and CPU seconds (user+sys of this process, time.process_time) per second of audio,
per variant and thread count, with the load average; compare CPU seconds, not wall time, on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from time import perf_counter, process_time

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]
from bench_phone_asr import words_in_order  # noqa: E402
from callscope.config import AsrSettings  # noqa: E402
from callscope.evaluation.asr import word_error_rate  # noqa: E402
from callscope.files import sha256_file  # noqa: E402
from callscope.pipeline.audio import SAMPLE_RATE, load_audio  # noqa: E402
from callscope.pipeline.transcribe import load_whisper  # noqa: E402

FASTER_WHISPER_VAD = {"threshold": 0.5, "min_silence_duration_ms": 2000}   # its VadOptions defaults
VARIANTS = {   # name: (batched, options beside beam 5, VAD and word timestamps)
    "sequential": (False, {}),
    "batched4": (True, {"batch_size": 4}),
    "batched8": (True, {"batch_size": 8}),
    "batched16": (True, {"batch_size": 16}),
    "batched8_timestamps": (True, {"batch_size": 8, "without_timestamps": False}),
    "beam3": (False, {"beam_size": 3}),
    "beam2": (False, {"beam_size": 2}),
    "no_fallback": (False, {"temperature": 0.0}),
    "no_condition": (False, {"condition_on_previous_text": False}),
}
SUBSETS = {"spokenwoz stereo": lambda c: c["source"] == "spokenwoz" and c["layout"] == "stereo",
           "spokenwoz mono": lambda c: c["source"] == "spokenwoz" and c["layout"] == "mono",
           "assembled": lambda c: c["source"] == "assembled",
           "overall": lambda c: True}


def channels(devset: Path, only: str) -> list[dict]:
    """Every channel of the set with a reference transcript: its samples, reference and subset fields."""
    manifest = json.loads((devset / "manifest.json").read_text())
    found = []
    for item in manifest["items"]:
        if "asr" not in item["tasks"] or only not in item["id"]:
            continue
        path = devset / item["path"]
        for index, samples in enumerate(load_audio(path, sha256_file(path)).tracks):
            reference = item["reference"]["mono" if item["layout"] == "mono" else str(index)]
            if reference:
                found.append({"id": f"{item['id']}:{index}", "source": item["source"], "layout": item["layout"],
                              "language": item["language"], "samples": samples, "reference": reference})
    return found


def transcribe(model, pipeline, variant: str, samples: np.ndarray, language: str) -> str:
    """The variant's words for one channel, in time order."""
    batched, options = VARIANTS[variant]
    options = {"beam_size": 5, "vad_filter": True, "word_timestamps": True, "language": language, **options}
    if batched:
        segments, _ = pipeline.transcribe(samples, vad_parameters=dict(FASTER_WHISPER_VAD), **options)
    else:
        segments, _ = model.transcribe(samples, **options)
    return words_in_order(segments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=Path("/work/phone_dev_diar2"), help="phone_devset.py's --out")
    parser.add_argument("--threads", type=int, nargs="+", default=[2], help="CTranslate2 cpu_threads values")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--only", default="", help="only items whose id contains this")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from faster_whisper import BatchedInferencePipeline

    chosen = channels(args.set, args.only)
    audio_seconds = sum(c["samples"].size for c in chosen) / SAMPLE_RATE
    print(f"{len(chosen)} channels, {audio_seconds:.0f} s of real speech; load average {os.getloadavg()}", flush=True)
    runs = {}
    for threads in args.threads:
        model = load_whisper(AsrSettings(cpu_threads=threads))
        pipeline = BatchedInferencePipeline(model)
        for variant in args.variants:     # warm-up, not counted: first calls set up buffers
            transcribe(model, pipeline, variant, chosen[0]["samples"][: 10 * SAMPLE_RATE], chosen[0]["language"])
        runs |= {f"{variant}@{threads}": {"model": model, "pipeline": pipeline, "variant": variant,
                                          "texts": {}, "cpu": {}, "wall": 0.0} for variant in args.variants}
    for channel in chosen:
        for name, run in runs.items():
            cpu, wall = process_time(), perf_counter()
            run["texts"][channel["id"]] = transcribe(run["model"], run["pipeline"], run["variant"],
                                                     channel["samples"], channel["language"])
            run["cpu"][channel["id"]] = process_time() - cpu
            run["wall"] += perf_counter() - wall
        print(f"{channel['id']:28s} " + "  ".join(
            f"{name} {run['cpu'][channel['id']]:.1f} s "
            f"{100 * word_error_rate([channel['reference']], [run['texts'][channel['id']]])['wer']:.0f}%"
            for name, run in runs.items()), flush=True)

    table = {}
    print(f"\nload average {os.getloadavg()}\n{'variant@threads':24s} " + " ".join(f"{s:>17s}" for s in SUBSETS)
          + f" {'CPU s/audio s':>14s} {'wall s':>7s}   (WER %)")
    for name, run in runs.items():
        wer = {}
        for subset, keep in SUBSETS.items():
            picked = [c for c in chosen if keep(c)]
            if picked:
                wer[subset] = round(100 * word_error_rate([c["reference"] for c in picked],
                                                          [run["texts"][c["id"]] for c in picked])["wer"], 2)
        table[name] = {"wer": wer, "cpu_seconds": round(sum(run["cpu"].values()), 1),
                       "cpu_per_audio_second": round(sum(run["cpu"].values()) / audio_seconds, 4),
                       "wall_seconds": round(run["wall"], 1)}
        print(f"{name:24s} " + " ".join(f"{wer.get(s, float('nan')):17.2f}" for s in SUBSETS)
              + f" {table[name]['cpu_per_audio_second']:14.4f} {run['wall']:7.0f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"audio_seconds": round(audio_seconds, 1), "variants": table,
                                         "channels": {name: {"cpu": run["cpu"], "texts": run["texts"]}
                                                      for name, run in runs.items()}}, indent=1))


if __name__ == "__main__":
    main()
