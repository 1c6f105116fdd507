"""Tune the diarisation hyper-parameters on AMI debug train+development.

Data: ../shared/data/ami_pyannote_debug (read in place, never copied). For each
front-end setting (segmentation step, overlap exclusion) the segmentation and
embeddings are computed once (pyannote's training-mode cache); clustering and
post-processing are then searched on a grid. DER: no collar, overlap scored.
Selection (`choose`): near-best AMI DER, then best on the telephone proxy (the
two 2-speaker development files band-limited through 8 kHz). pyannote's sample
is scored for the record but not used to choose: it stays a held-out check.

    python benchmarks/tune_diarization.py [--steps 0.1 0.2] [--exclude-overlap both]
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callscope.evaluation.der import load_rttm, load_uem, score  # noqa: E402
from callscope.pipeline.audio import load_audio  # noqa: E402
from callscope.pipeline.diarise import DiarisationSettings, Diariser  # noqa: E402

AMI = ROOT.parent / "shared" / "data" / "ami_pyannote_debug"
METHODS = ("average", "centroid", "complete")
THRESHOLDS = [round(t, 2) for t in np.arange(0.4, 1.31, 0.05)]
# pyannote caps min_cluster_size at 10% of the embeddings (3-6 in a 30 s file): larger
# values only act on long calls, where bench_diarization.py checks them.
MIN_CLUSTER_SIZES = (1, 2, 4, 12)
MIN_DURATIONS_OFF = (0.0, 0.1, 0.2, 0.3, 0.5)


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()


def read_mono(path: Path) -> np.ndarray:
    """16 kHz float32 samples, decoded as callscope decodes calls."""
    return load_audio(path, sha256="").tracks[0]


def _file(uri: str, waveform: np.ndarray, reference, uem=None) -> dict:
    file = {"uri": uri, "waveform": torch.from_numpy(np.ascontiguousarray(waveform, np.float32))[None],
            "sample_rate": 16000, "annotation": reference}
    if uem is not None:
        file["annotated"] = uem
    return file


def ami_files(subset: str) -> list[dict]:
    """AMI debug files of one subset. The list names `trñ00` but its RTTM/UEM say `trn00`."""
    references = load_rttm(AMI / f"debug.{subset}.rttm")
    uems = load_uem(AMI / f"debug.{subset}.uem")
    files = []
    for uri in (AMI / f"debug.{subset}.lst").read_text(encoding="utf-8").split():
        key = uri if uri in references else _ascii(uri)
        files.append(_file(uri, read_mono(AMI / f"{uri}.wav"), references[key], uems[key]))
    return files


def telephone(file: dict) -> dict:
    """The same file band-limited like a phone call: down to 8 kHz and back up to 16 kHz."""
    import torchaudio.functional as AF

    narrow = AF.resample(file["waveform"], 16000, 8000)
    return {**file, "uri": file["uri"] + "-8k", "waveform": AF.resample(narrow, 8000, 16000)}


def sample_file() -> dict:
    """pyannote's 30 s two-speaker phone-style sample (in the pyannote.audio wheel)."""
    folder = Path(next(iter(importlib.util.find_spec("pyannote.audio").submodule_search_locations))) / "sample"
    return _file("sample", read_mono(folder / "sample.wav"), load_rttm(folder / "sample.rttm")["sample"])


def evaluate(pipeline, files: list[dict]) -> tuple[float, dict[str, float]]:
    """Overall DER (errors summed over files / reference speech) and DER per file."""
    hypotheses = {f["uri"]: pipeline(f).speaker_diarization for f in files}
    per_file, overall = score({f["uri"]: f["annotation"] for f in files}, hypotheses,
                              {f["uri"]: f["annotated"] for f in files if "annotated" in f})
    return overall.der, {s.uri: s.der for s in per_file}


def params(method: str, threshold: float, min_cluster_size: int, min_duration_off: float) -> dict:
    return {"segmentation": {"min_duration_off": min_duration_off},
            "clustering": {"method": method, "threshold": threshold, "min_cluster_size": min_cluster_size}}


def search(pipeline, tuning: list[dict], telephone: list[dict], watch: list[dict]) -> list[dict]:
    """Grid search: each trial's overall DER on `tuning` (AMI train+dev), `telephone` (AMI
    2-speaker dev files through 8 kHz) and, for the record only, `watch` (the sample)."""
    trials = []

    def trial(method, threshold, size, off):
        pipeline.instantiate(params(method, threshold, size, off))
        overall, per_file = evaluate(pipeline, tuning)
        phone, phone_files = evaluate(pipeline, telephone)
        trials.append({"method": method, "threshold": threshold, "min_cluster_size": size,
                       "min_duration_off": off, "der": round(100 * overall, 2),
                       "mean_file_der": round(100 * float(np.mean(list(per_file.values()))), 2),
                       "telephone_der": round(100 * phone, 2),
                       "telephone": {uri: round(100 * der, 2) for uri, der in phone_files.items()},
                       "watch": {uri: round(100 * der, 2) for uri, der in evaluate(pipeline, watch)[1].items()}})

    for method, threshold, size in itertools.product(METHODS, THRESHOLDS, MIN_CLUSTER_SIZES):
        trial(method, threshold, size, 0.0)
    for method, threshold, size in {(t["method"], t["threshold"], t["min_cluster_size"])
                                    for t in sorted(trials, key=lambda t: t["der"])[:10]}:
        for off in MIN_DURATIONS_OFF[1:]:
            trial(method, threshold, size, off)
    return trials


def choose(trials: list[dict], slack: float = 1.0) -> dict:
    """Among trials within `slack` DER points of the best AMI score, the one whose worst
    telephone file is best (then the best AMI score): calls, not meetings, are the task."""
    best = min(t["der"] for t in trials)
    near = [t for t in trials if t["der"] <= best + slack]
    return min(near, key=lambda t: (max(t["telephone"].values()), t["der"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=float, nargs="+", default=[0.1, 0.2, 0.3, 0.5])
    parser.add_argument("--exclude-overlap", choices=["no", "yes", "both"], default="both")
    parser.add_argument("--threads", type=int, default=0, help="embedding workers (0: one per core)")
    parser.add_argument("--out", type=Path, help="write all trials as JSON here")
    args = parser.parse_args()
    torch.set_num_threads(1)  # as Diariser.diarise does: workers, not intra-op threads
    if not AMI.is_dir():
        sys.exit(f"{AMI} not found: the AMI debug set lives in ../shared/data")

    development = ami_files("development")
    tuning = ami_files("train") + development
    phone = [telephone(f) for f in development]  # both development files have 2 speakers
    watch = [sample_file(), telephone(sample_file())]
    exclusions = {"no": [False], "yes": [True], "both": [False, True]}[args.exclude_overlap]
    report = []
    for step, exclude in itertools.product(args.steps, exclusions):
        diariser = Diariser(DiarisationSettings(segmentation_step=step, exclude_overlap=exclude,
                                                threads=args.threads))
        pipeline = diariser.pipeline
        pipeline.training = True  # cache segmentation + embeddings in each file dict
        sets = [[dict(f) for f in files] for files in (tuning, phone, watch)]
        started = time.perf_counter()
        for files in sets:
            evaluate(pipeline, files)
        front_end = time.perf_counter() - started
        trials = search(pipeline, *sets)
        chosen = choose(trials)
        print(f"step={step} exclude_overlap={exclude}: front end {front_end:.0f} s; "
              f"best AMI {min(trials, key=lambda t: t['der'])}; chosen {chosen}", flush=True)
        report.append({"segmentation_step": step, "exclude_overlap": exclude,
                       "front_end_seconds": round(front_end, 1), "chosen": chosen, "trials": trials})
    if args.out:
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
