"""A long call through the full pipeline: wall time, x real time, speakers, peak memory, drift.

The call is either a real long call with its RTTM (`--audio`, `--rttm`: REAL speech, built by
benchmarks/long_call_devset.py, A = customer and B = agent), or one mono sample call (two espeak
voices, reference turns in its JSON) repeated with 2 s pauses up to --minutes. It is processed by
`CallProcessor` exactly as `callscope run` processes a file: decoding, transcription, diarisation,
alignment, roles, redaction. Reports the time per stage, the speakers and roles found, DER against
the reference (collar 0, overlap scored), the process's peak RSS (and the highest RSS seen in each
stage), and per --window minutes: DER (speakers mapped per window), the error with the speakers
mapped once for the whole call (drift of speaker labels shows as the gap between the two) and the
role error (reference speech not given its reference role).

    python benchmarks/bench_long_call.py [--minutes 20] [--call angry_to_satisfied] [--model base] [--json out.json]
    python benchmarks/bench_long_call.py --audio /work/long_call/long_2h_mono.wav --rttm /work/long_call/long_2h.rttm
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

import numpy as np
import psutil
from pyannote.core import Annotation, Segment
from pyannote.metrics.identification import IdentificationErrorRate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callscope.config import Settings  # noqa: E402
from callscope.evaluation.der import load_rttm, score  # noqa: E402
from callscope.files import sha256_file  # noqa: E402
from callscope.pipeline.audio import load_audio  # noqa: E402
from callscope.pipeline.ingest import InputFile  # noqa: E402
from callscope.pipeline.process import CallProcessor  # noqa: E402

SAMPLES = ROOT / "sample_audio"
RATE = 16000
PAUSE_SECONDS = 2.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_call(call_id: str, minutes: float, path: Path) -> Annotation:
    """Write the repeated call to `path` (16-bit WAV) and return its reference turns."""
    truth = json.loads((SAMPLES / f"{call_id}.json").read_text())
    if truth["channels"] != 1:
        raise SystemExit(f"{call_id} is not a mono sample call")
    piece = load_audio(SAMPLES / truth["audio"], sha256="").tracks[0]
    period = len(piece) / RATE + PAUSE_SECONDS
    repeats = int(np.ceil(minutes * 60 / period))
    samples = np.tile(np.concatenate([piece, np.zeros(int(PAUSE_SECONDS * RATE), np.float32)]), repeats)
    samples = samples[: int(minutes * 60 * RATE)]
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    reference = Annotation(uri="long")
    for r in range(repeats):
        for i, turn in enumerate(truth["turns"]):
            reference[Segment(turn["start"] + r * period, turn["end"] + r * period), (r, i)] = turn["role"]
    return reference.crop(Segment(0, len(samples) / RATE))


class StageMemory:
    """The highest RSS seen in each stage of `CallProcessor.process`, sampled every `every` seconds from
    another thread; the stage is the callscope function that `process` is in at that moment."""

    def __init__(self, every: float = 0.5):
        self.peaks: dict[str, float] = {}
        self._main, self._every, self._stop = threading.main_thread().ident, every, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _stage(self) -> str:
        frame, names = sys._current_frames().get(self._main), []
        while frame is not None:
            names.append(frame.f_code.co_name)
            frame = frame.f_back
        names.reverse()
        return names[names.index("process") + 1] if "process" in names[:-1] else "other"

    def _sample(self) -> None:
        process = psutil.Process()
        while not self._stop.wait(self._every):
            stage, rss = self._stage(), process.memory_info().rss / 2**20
            self.peaks[stage] = round(max(self.peaks.get(stage, 0), rss))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()


def relabelled(annotation: Annotation, names: dict) -> Annotation:
    return annotation.rename_labels({label: names.get(label, f"other_{label}") for label in annotation.labels()})


def windows(reference: Annotation, hypothesis: Annotation, roles: dict[str, str], true_roles: dict[str, str],
            minutes: float, duration: float) -> list[dict]:
    """Per window: DER with speakers mapped in the window, error with the whole call's mapping, role error."""
    mapping = call_mapping(reference, hypothesis)
    by_roles = relabelled(hypothesis, roles), relabelled(reference, true_roles)
    rows = []
    for begin in np.arange(0, duration, minutes * 60):
        window = Segment(begin, min(begin + minutes * 60, duration))
        ref = reference.crop(window)
        _, local = score({"w": ref}, {"w": hypothesis.crop(window)})
        fixed = IdentificationErrorRate()(ref, relabelled(hypothesis, mapping).crop(window), uem=window)
        role = IdentificationErrorRate()(by_roles[1].crop(window), by_roles[0].crop(window), uem=window)
        rows.append({"minute": round(begin / 60), "der": round(100 * local.der, 2),
                     "error_call_mapping": round(100 * fixed, 2), "role_error": round(100 * role, 2)})
    return rows


def call_mapping(reference: Annotation, hypothesis: Annotation) -> dict:
    """Hypothesis speaker -> reference speaker, mapped once for the whole call (Hungarian)."""
    from pyannote.metrics.diarization import DiarizationErrorRate

    return dict(DiarizationErrorRate().optimal_mapping(reference, hypothesis))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--call", default="angry_to_satisfied", help="mono sample call to repeat")
    parser.add_argument("--model", default=None, help="ASR model (default: the configured one)")
    parser.add_argument("--audio", type=Path, help="a long call (REAL speech: long_call_devset.py) instead of --call")
    parser.add_argument("--rttm", type=Path, help="reference turns of --audio (A = customer, B = agent)")
    parser.add_argument("--window", type=float, default=10.0, help="minutes per window of the drift figures")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    settings = Settings()
    if args.model:
        settings.asr.model = args.model
    with tempfile.TemporaryDirectory() as folder:
        if args.audio:
            path, true_roles = args.audio, {"A": "customer", "B": "agent"}
            reference = next(iter(load_rttm(args.rttm).values()))
        else:
            path, true_roles = Path(folder) / f"long_{args.call}.wav", {"customer": "customer", "agent": "agent"}
            reference = build_call(args.call, args.minutes, path)
        processor = CallProcessor(settings)
        rss_before = peak_rss_mb()
        load = os.getloadavg()[0]
        started = time.perf_counter()
        with StageMemory() as memory:
            conversation = processor.process(InputFile(path, path.stem), sha256_file(path))
        wall = time.perf_counter() - started

    hypothesis = Annotation(uri="long")
    for i, turn in enumerate(conversation.turns):
        hypothesis[Segment(turn.start, turn.end), i] = turn.speaker
    _, overall = score({"long": reference}, {"long": hypothesis})
    roles = {s.id: s.role for s in conversation.speakers}
    drift = windows(reference, hypothesis, roles, true_roles, args.window, conversation.duration)
    report = {
        "call": str(args.audio) if args.audio else args.call, "asr_model": settings.asr.model,
        "audio_seconds": round(conversation.duration, 1),
        "wall_seconds": round(wall, 1), "x_real_time": round(conversation.duration / wall, 2),
        "stage_seconds": conversation.processing.seconds,
        "speakers": {s.id: {"role": s.role, "talk_seconds": s.talk_seconds} for s in conversation.speakers},
        "utterances": len(conversation.utterances), "der": round(100 * overall.der, 2),
        "peak_rss_mb_before": round(rss_before), "peak_rss_mb": round(peak_rss_mb()),
        "rss_mb_by_stage": memory.peaks, "windows": drift,
        "load_average": [round(load, 1), round(os.getloadavg()[0], 1)], "cores": os.cpu_count(),
        "warnings": conversation.warnings,
    }
    stages = ", ".join(f"{k} {v:.0f} s" for k, v in report["stage_seconds"].items())
    print(f"{report['audio_seconds'] / 60:.1f} min call ({report['call']}), ASR {settings.asr.model}: "
          f"{report['wall_seconds']} s wall = {report['x_real_time']}x real time ({stages})")
    print(f"speakers: {report['speakers']}; {report['utterances']} utterances; DER {report['der']}%")
    print(f"peak RSS {report['peak_rss_mb_before']} MB after loading -> {report['peak_rss_mb']} MB; "
          f"load average {report['load_average'][0]} -> {report['load_average'][1]} on {report['cores']} cores")
    print(f"highest RSS per stage (MB): {report['rss_mb_by_stage']}")
    for row in drift:
        print(f"  minute {row['minute']:4d}: DER {row['der']:6.2f}%  "
              f"with the call's mapping {row['error_call_mapping']:6.2f}%  role error {row['role_error']:6.2f}%")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
