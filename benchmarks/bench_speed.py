"""Full pipeline speed on real phone speech: `callscope run` vs plain faster-whisper, same files, same run.

    python benchmarks/bench_speed.py [--set ../phone_dev] [--minutes 30] [--jobs 0] [--config FILE] [--json FILE]

The batch (~30 min of real speech, mono and stereo) comes from the phone dev set (docs/real_speech.md):
the SpokenWOZ calls in both layouts, then each assembled call once, mono and stereo in turn, until
`--minutes` are reached. Each path runs in its own Python process, so both times include imports and
model start-up:
- callscope: `api.run_batch` with the default settings (decoding, ASR, diarisation of the mono calls,
  alignment, roles, redaction, enrichment, store, corpus figures; no HTML reports) into a fresh folder;
- plain: faster-whisper's `WhisperModel(<same weights>, compute_type=int8)` and
  `transcribe(beam_size=5, vad_filter=True, word_timestamps=True)` on each channel (`decode_audio`).
Prints x real time (audio seconds / wall seconds), CPU seconds (user+sys of the process) per second of
audio, the x real time projected on 2 idle cores from them (audio seconds / (CPU seconds / 2): both cores
kept busy, no other load), the load average, and where callscope's time goes: model start-up, the seconds
per stage summed over the calls (manifest.json `seconds`), corpus figures and the rest. On a shared machine
the wall figures say more about the load than about callscope; the CPU ones much less so.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callscope.config import RunSettings  # noqa: E402

STAGES = ("decode", "transcribe", "diarise", "recover", "align", "enrich", "redact", "store")


def batch_items(devset: Path, minutes: float) -> list[dict]:
    """The dev set's items in batch order: SpokenWOZ in both layouts, then the others alternating."""
    items = json.loads((devset / "manifest.json").read_text())["items"]
    real = [i for i in items if i["source"] == "spokenwoz"]
    calls = sorted({i["call"] for i in items if i["source"] != "spokenwoz"})
    others = [next(i for i in items if i["call"] == call and i["layout"] == ("mono", "stereo")[n % 2])
              for n, call in enumerate(calls)]
    chosen, total = [], 0.0
    for item in real + others:
        if total >= minutes * 60:
            break
        chosen.append(item)
        total += item["duration"]
    return chosen


def child_callscope(paths: list[str], out: str, jobs: int, config: str | None = None) -> dict:
    """Run in the child process: the batch through callscope; start-up and corpus times from the hook."""
    started = perf_counter()
    marks: dict[str, float] = {}

    def hook(step, artefact=None, *, total=None, completed=None):
        from callscope import hooks

        if step == hooks.TRANSCRIBING:
            marks.setdefault("models_loaded", perf_counter() - started)
            marks["calls_done"] = perf_counter() - started
        elif step == hooks.CORPUS and completed == 1:
            marks["corpus_done"] = perf_counter() - started

    from callscope import api
    from callscope.config import load_settings

    summary = api.run_batch(paths, out, load_settings(config, run={"jobs": jobs}), hook, reports=False)
    return {"wall_s": perf_counter() - started, "marks": marks, "failed": len(summary.failures),
            "audio_s": summary.audio_seconds}


def child_plain(paths: list[str], layouts: list[str]) -> dict:
    """Run in the child process: plain faster-whisper on every channel."""
    started = perf_counter()
    from faster_whisper import WhisperModel, decode_audio

    from callscope import registry

    model = WhisperModel(registry.resolve("base"), device="cpu", compute_type="int8")
    loaded = perf_counter() - started
    for path, layout in zip(paths, layouts):
        tracks = decode_audio(path, split_stereo=layout == "stereo")
        for samples in (tracks if layout == "stereo" else [tracks]):
            segments, _ = model.transcribe(samples, beam_size=5, vad_filter=True, word_timestamps=True)
            list(segments)
    return {"wall_s": perf_counter() - started, "marks": {"models_loaded": loaded}}


def in_child(kind: str, args: dict) -> dict:
    """`child_<kind>(**args)` in a fresh Python; its result with the child's CPU seconds (user+sys)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    code = (f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_speed; "
            f"print(json.dumps(bench_speed.child_{kind}(**json.loads(sys.argv[1]))))")
    done = subprocess.run([sys.executable, "-c", code, json.dumps(args)], capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if done.returncode:
        sys.exit(f"{kind} run failed:\n{done.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["cpu_s"] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1)
    return result


def cpu_figures(run: dict, audio: float) -> str:
    """CPU seconds, per second of audio, and the x real time they allow on 2 idle cores; kept in `run`."""
    run["cpu_per_audio_s"] = round(run["cpu_s"] / audio, 3)
    run["x_real_time_2_cores"] = round(audio / (run["cpu_s"] / 2), 2)
    return (f"{run['cpu_s']:.0f} CPU s = {run['cpu_per_audio_s']:.3f} per audio second "
            f"(2 idle cores: {run['x_real_time_2_cores']:.1f}x real time)")


def stage_seconds(out: Path) -> tuple[dict[str, float], list[dict]]:
    """Seconds per stage summed over the calls of a run's manifest, and the per-call rows."""
    files = json.loads((out / "manifest.json").read_text())["files"].values()
    totals: dict[str, float] = {}
    for record in files:
        for stage, seconds in record["seconds"].items():
            totals[stage] = round(totals.get(stage, 0.0) + seconds, 2)
    return totals, [{"id": r["id"], "duration": r["duration"], **r["seconds"]} for r in files]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=ROOT.parent / "phone_dev", help="phone_devset.py's --out")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--jobs", type=int, default=0, help="callscope's run.jobs (0, its default: one per core)")
    parser.add_argument("--config", type=Path, help="a settings file over callscope's defaults")
    parser.add_argument("--skip-plain", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    items = batch_items(args.set, args.minutes)
    paths = [str(args.set / i["path"]) for i in items]
    audio = sum(i["duration"] for i in items)
    layouts = [i["layout"] for i in items]
    print(f"batch: {len(items)} calls ({layouts.count('mono')} mono, {layouts.count('stereo')} stereo), "
          f"{audio / 60:.1f} min of real speech; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
          flush=True)
    result: dict = {"calls": len(items), "audio_s": round(audio, 1), "load_before": round(os.getloadavg()[0], 2)}
    if not args.skip_plain:
        plain = in_child("plain", {"paths": paths, "layouts": layouts})
        result["plain"] = {**plain, "x_real_time": round(audio / plain["wall_s"], 2)}
        print(f"plain faster-whisper: {plain['wall_s']:.0f} s wall ({audio / plain['wall_s']:.1f}x real time), "
              f"{cpu_figures(result['plain'], audio)}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out"
        callscope = in_child("callscope", {"paths": paths, "out": str(out), "jobs": args.jobs,
                                         "config": str(args.config) if args.config else None})
        stages, per_call = stage_seconds(out)
    marks = callscope["marks"]
    result["callscope"] = {**callscope, "x_real_time": round(audio / callscope["wall_s"], 2),
                           "stages": stages, "per_call": per_call}
    result["load_after"] = round(os.getloadavg()[0], 2)
    print(f"callscope run: {callscope['wall_s']:.0f} s wall ({audio / callscope['wall_s']:.1f}x real time), "
          f"{cpu_figures(result['callscope'], audio)}, {callscope['failed']} failed", flush=True)
    wall = callscope["wall_s"]
    jobs = RunSettings(jobs=args.jobs).jobs_for(len(items))
    calls_wall = marks.get("calls_done", 0.0) - marks.get("models_loaded", 0.0)
    parts = {"start-up (imports, models)": marks.get("models_loaded", 0.0), "calls": calls_wall,
             "corpus figures": marks.get("corpus_done", wall) - marks.get("calls_done", 0.0),
             "finishing": wall - marks.get("corpus_done", wall)}
    print(f"where callscope's time goes ({wall:.0f} s wall):")
    for name, seconds in parts.items():
        print(f"  {name:55s} {seconds:7.1f} s  {100 * seconds / wall:5.1f}%")
    job_seconds = calls_wall * jobs      # the calls' wall time on each of the jobs running them at once
    calls = {**{s: stages[s] for s in STAGES if s in stages},
             "other (waiting, writing files, warm-up of lazy models)": job_seconds - sum(stages.values())}
    print(f"the calls' {calls_wall:.0f} s on {jobs} job(s) at once = {job_seconds:.0f} job-seconds, by stage:")
    for name, seconds in calls.items():
        print(f"  {name:55s} {seconds:7.1f} s  {100 * seconds / job_seconds:5.1f}%")
    if "plain" in result:
        print(f"callscope / plain: wall time {wall / result['plain']['wall_s']:.2f}, CPU seconds "
              f"{callscope['cpu_s'] / result['plain']['cpu_s']:.2f}; load average now {result['load_after']:.1f}")
    result["where"] = {name: round(seconds, 2) for name, seconds in parts.items()}
    result["calls_job_seconds"] = {"jobs": jobs, **{name: round(seconds, 2) for name, seconds in calls.items()}}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
