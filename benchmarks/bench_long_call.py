"""A long mono call through the full pipeline: wall time, x real time, speakers, peak memory.

The call is one mono sample call (two espeak voices, reference turns in its
JSON) repeated with 2 s pauses up to --minutes, written as a 16 kHz WAV and
processed by `CallProcessor` exactly as `callscope run` processes a file:
decoding, transcription, diarisation, alignment, roles, redaction. Reports the
time per stage, the speakers and roles found, DER against the repeated
reference (collar 0, overlap scored) and the process's peak RSS.

    python benchmarks/bench_long_call.py [--minutes 20] [--call angry_to_satisfied] [--model base] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np
from pyannote.core import Annotation, Segment

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callscope.config import Settings  # noqa: E402
from callscope.evaluation.der import score  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--call", default="angry_to_satisfied", help="mono sample call to repeat")
    parser.add_argument("--model", default=None, help="ASR model (default: the configured one)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    settings = Settings()
    if args.model:
        settings.asr.model = args.model
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"long_{args.call}.wav"
        reference = build_call(args.call, args.minutes, path)
        processor = CallProcessor(settings)
        rss_before = peak_rss_mb()
        load = os.getloadavg()[0]
        started = time.perf_counter()
        conversation = processor.process(InputFile(path, path.stem), sha256_file(path))
        wall = time.perf_counter() - started

    hypothesis = Annotation(uri="long")
    for i, turn in enumerate(conversation.turns):
        hypothesis[Segment(turn.start, turn.end), i] = turn.speaker
    _, overall = score({"long": reference}, {"long": hypothesis})
    report = {
        "call": args.call, "asr_model": settings.asr.model, "audio_seconds": round(conversation.duration, 1),
        "wall_seconds": round(wall, 1), "x_real_time": round(conversation.duration / wall, 2),
        "stage_seconds": conversation.processing.seconds,
        "speakers": {s.id: {"role": s.role, "talk_seconds": s.talk_seconds} for s in conversation.speakers},
        "utterances": len(conversation.utterances), "der": round(100 * overall.der, 2),
        "peak_rss_mb_before": round(rss_before), "peak_rss_mb": round(peak_rss_mb()),
        "load_average": [round(load, 1), round(os.getloadavg()[0], 1)], "cores": os.cpu_count(),
        "warnings": conversation.warnings,
    }
    stages = ", ".join(f"{k} {v:.0f} s" for k, v in report["stage_seconds"].items())
    print(f"{report['audio_seconds'] / 60:.1f} min call ({args.call} repeated), ASR {settings.asr.model}: "
          f"{report['wall_seconds']} s wall = {report['x_real_time']}x real time ({stages})")
    print(f"speakers: {report['speakers']}; {report['utterances']} utterances; DER {report['der']}%")
    print(f"peak RSS {report['peak_rss_mb_before']} MB after loading -> {report['peak_rss_mb']} MB; "
          f"load average {report['load_average'][0]} -> {report['load_average'][1]} on {report['cores']} cores")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
