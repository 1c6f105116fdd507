"""kill -9 soak: `callscope run` killed at random points, run again, must equal a clean run.

Two short sample calls (the first --seconds of each, stereo, so no diarisation) are processed
once cleanly (the reference). Then, for each of --rounds rounds, a fresh run is killed with
SIGKILL at a random point of a randomly chosen phase:

    startup        0-3 s after the start
    transcription  0-4 s after manifest.json appears (inputs planned, models loading/transcribing)
    store          0-300 ms after the first call's files appear (the store upsert comes next)
    reports        0-1.5 s after OUT/reports appears (corpus figures done, pages being written)

and then run again to the end. A round passes when the rerun exits 0 and the outputs equal the
clean run's: per-call files (JSON without its timing fields, TXT, SRT, VTT, RTTM), the store's
per-call tables (without run ids and processing times), the manifest's statuses, the call pages
of the reports, and no temporary file left behind.

    python benchmarks/soak_kill.py [--rounds 10] [--seconds 10] [--seed 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callscope.manifest import Manifest  # noqa: E402
from callscope.store import Store  # noqa: E402
from callscope.store.rows import CALL_TABLES  # noqa: E402
from tests.test_batch import comparable  # noqa: E402

CALLS = ("parcel_late", "lost_card")
PER_RUN = {"run_id", "processed_at"}        # columns that name the run or its time, not the analysis
PHASES = ("startup", "transcription", "store", "reports")


def command(inputs: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "callscope.cli", "run", str(inputs), "--out", str(out), "--model", "tiny.en"]


def start(inputs: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(command(inputs, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env=env)


def wait_for(process: subprocess.Popen, ready, timeout: float = 900.0) -> bool:
    """True once `ready()` holds; False when the process ended first."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if ready():
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def kill_at(process: subprocess.Popen, out: Path, phase: str, rng: random.Random) -> bool:
    """SIGKILL at a random point of `phase`; False when the run finished before."""
    triggers = {"startup": (lambda: True, 3.0), "transcription": (lambda: (out / "manifest.json").exists(), 4.0),
                "store": (lambda: any(out.glob("*.vtt")), 0.3), "reports": (lambda: (out / "reports").exists(), 1.5)}
    ready, spread = triggers[phase]
    if not wait_for(process, ready):
        return False
    time.sleep(rng.uniform(0, spread))
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    process.wait()
    return True


def outcome(out: Path) -> dict:
    """What must not depend on kills: call files, store rows, manifest statuses, call pages."""
    files = comparable(out)
    with Store(out, read_only=True) as store:
        tables = {}
        for table in CALL_TABLES:
            columns = [c for c in store.columns(table) if c not in PER_RUN]
            tables[table] = store.con.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY ALL").fetchall()
    statuses = {call_id: r.status for call_id, r in Manifest.load(out).files.items()}
    pages = sorted(p.name for p in (out / "reports" / "calls").iterdir()) if (out / "reports" / "calls").exists() else []
    leftovers = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.name.endswith((".tmp", ".new", ".old")))
    return {"files": files, "tables": tables, "statuses": statuses, "pages": pages, "leftovers": leftovers}


def differences(got: dict, want: dict) -> list[str]:
    found = [key for key in ("files", "statuses", "pages") if got[key] != want[key]]
    found += [f"table {t}" for t in CALL_TABLES if got["tables"][t] != want["tables"][t]]
    found += [f"leftover {name}" for name in got["leftovers"]]
    return found


def make_inputs(folder: Path, seconds: float) -> Path:
    import numpy as np

    from callscope.pipeline.audio import load_audio
    from tests.conftest import sample_audio, write_wav

    folder.mkdir(parents=True)
    for call_id in CALLS:
        audio = load_audio(sample_audio(call_id), "sha")
        write_wav(folder / f"{call_id}.wav", np.stack([t[: int(seconds * 16000)] for t in audio.tracks]))
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds kept of each sample call")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="callscope-soak-"))
    try:
        inputs = make_inputs(work / "in", args.seconds)
        started = time.perf_counter()
        clean = start(inputs, work / "clean")
        _, stderr = clean.communicate()
        if clean.returncode != 0:
            print(f"clean run failed ({clean.returncode}): {stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            return 1
        clean_seconds = time.perf_counter() - started
        want = outcome(work / "clean")
        rounds = []
        for number in range(1, args.rounds + 1):
            out, phase = work / f"round{number}", rng.choice(PHASES)
            killed = kill_at(start(inputs, out), out, phase, rng)
            rerun = start(inputs, out)
            _, stderr = rerun.communicate()
            problems = [f"rerun exit {rerun.returncode}: {stderr.strip().splitlines()[-1:]}"] if rerun.returncode else []
            problems += differences(outcome(out), want) if not problems else []
            rounds.append({"round": number, "phase": phase, "killed": killed, "identical": not problems,
                           "problems": problems})
            if not args.json:
                state = "identical" if not problems else "DIFFERENT: " + "; ".join(problems)
                print(f"round {number:2d}: {phase:13s} {'killed' if killed else 'ended before the kill'}: {state}",
                      flush=True)
            shutil.rmtree(out, ignore_errors=True)
        result = {"rounds": len(rounds), "killed": sum(r["killed"] for r in rounds),
                  "identical": sum(r["identical"] for r in rounds), "clean_run_seconds": round(clean_seconds, 1),
                  "calls": list(CALLS), "seconds_per_call": args.seconds, "details": rounds}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['identical']}/{result['rounds']} rounds identical to the clean run "
              f"({result['killed']} killed; clean run {result['clean_run_seconds']} s)")
    return 0 if result["identical"] == result["rounds"] else 1


if __name__ == "__main__":
    sys.exit(main())
