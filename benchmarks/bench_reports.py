"""Reports: build time of `callscope report` and page load times in headless Chromium.

Generates a synthetic store of --n conversations (tests/fixtures/synthetic_corpus.py; or
uses --store), times the real command `callscope report` (a subprocess, so start-up
and imports count), then opens index, listen, empower, engage and the largest call page
in Chromium and times each load (navigation to the `load` event, fresh tab each). Fails
when a page logs an error or makes a request. --screenshots DIR writes one laptop-screen
(1366x900) screenshot per report page, e.g. for the README (docs/screenshots/).

    python benchmarks/bench_reports.py [--n 2000] [--store OUT/callscope.duckdb]
        [--out benchmarks/results/reports] [--screenshots docs/screenshots] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callscope.reports.browser import check_pages  # noqa: E402
from tests.fixtures.synthetic_corpus import build_store  # noqa: E402

BUILD_TARGET_S = 30.0
OPEN_TARGET_S = 2.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="synthetic conversations (ignored with --store)")
    parser.add_argument("--store", type=Path, help="an existing store instead of a generated one")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "reports")
    parser.add_argument("--screenshots", type=Path, help="write laptop-screen screenshots of the reports here")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        store = args.store
        if store is None:
            started = perf_counter()
            store = build_store(Path(scratch) / "callscope.duckdb", n=args.n, seed=0, surge_reason="parcel_late")
            print(f"generated {args.n} conversations in {perf_counter() - started:.1f} s", file=sys.stderr)
        command = [str(Path(sys.executable).with_name("callscope")), "report", "--out", str(args.out),
                   "--db", str(store), "--json"]
        started = perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        build_s = perf_counter() - started
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        summary = json.loads(done.stdout)

    pages = [args.out / f"{name}.html" for name in ("index", "listen", "empower", "engage")]
    largest = max((args.out / "calls").iterdir(), key=lambda p: p.stat().st_size)
    checks = check_pages(pages + [largest])
    if args.screenshots:
        check_pages(pages, screenshots=args.screenshots, full_page=False)
    problems = [f"{c.path.name}: {c.errors or c.requests}" for c in checks if c.errors or c.requests]
    result = {
        "conversations": summary["call_pages"], "actions": summary["actions"], "build_seconds": round(build_s, 2),
        "build_target_seconds": BUILD_TARGET_S, "cpus": os.cpu_count(), "load_average": os.getloadavg()[0],
        "pages": {c.path.name if c.path != largest else "largest call page": {
            "load_seconds": round(c.load_seconds, 3), "bytes": c.path.stat().st_size, "svg": c.svg_count}
            for c in checks},
        "open_target_seconds": OPEN_TARGET_S, "problems": problems,
    }
    result["ok"] = (not problems and build_s < BUILD_TARGET_S
                    and all(p["load_seconds"] < OPEN_TARGET_S for p in result["pages"].values()))
    (args.out / "bench_reports.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    if args.json:
        print(json.dumps(result))
    else:
        print(f"`callscope report` over {result['conversations']} conversations: {build_s:.1f} s "
              f"(target < {BUILD_TARGET_S:.0f} s; {result['cpus']} cpus, load {result['load_average']:.1f})")
        for name, page in result["pages"].items():
            print(f"  {name:<20} {page['load_seconds']:.2f} s to open  {page['bytes'] / 1024:8.0f} KiB  "
                  f"{page['svg']} svg")
        print("\n".join(problems) or "no console errors, no requests")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
