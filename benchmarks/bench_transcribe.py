"""Transcription stage speed and accuracy: callscope vs plain faster-whisper, same files, same run.

For every sample call both paths run with the same model, beam and VAD
settings; the order alternates per file so neither gets a warm-cache edge.
callscope's time covers decoding, transcription of every track, alignment,
roles and writing all output files (diarisation is benchmarked on its own; enrichment is timed
separately and left out of the comparison); plain faster-whisper's covers `decode_audio` and
transcribing each channel. Reports x real time, the overhead of callscope, WER of both against
the sample calls' references, and the enrichment cost as a share of transcription time.

    python benchmarks/bench_transcribe.py [--model base] [--calls N] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from time import perf_counter

from faster_whisper import decode_audio

from callscope.config import Settings
from callscope.evaluation.asr import read_refs, word_error_rate
from callscope.files import sha256_file
from callscope.pipeline.ingest import InputFile
from callscope.pipeline.process import CallProcessor
from callscope.writers import write_outputs

ROOT = Path(__file__).resolve().parent.parent


def run_callscope(path: Path, processor: CallProcessor, out: Path) -> tuple[float, str, dict[str, float]]:
    """Seconds without enrichment, the transcript, and the stage timings."""
    started = perf_counter()
    conversation = processor.process(InputFile(path, path.stem), sha256_file(path))
    write_outputs(conversation, out, processor.settings.output)
    stages = conversation.processing.seconds
    return perf_counter() - started - stages.get("enrich", 0.0), conversation.text(), stages


def run_plain(path: Path, transcriber, channels: int) -> tuple[float, str]:
    started = perf_counter()
    tracks = decode_audio(str(path), split_stereo=channels == 2)
    words = []
    for index, samples in enumerate(tracks if channels == 2 else [tracks]):
        segments, _ = transcriber.model.transcribe(samples, **transcriber.options_for(samples))
        words += [(w.start, index, w.word.strip()) for s in segments for w in (s.words or [])]
    return perf_counter() - started, " ".join(text for _, _, text in sorted(words))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="base")
    parser.add_argument("--calls", type=int, default=0, help="only the first N sample calls (0: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()

    settings = Settings()
    settings.asr.model = args.model
    settings.speakers.diarise = False  # the transcription stage alone; diarisation has its own benchmark
    processor = CallProcessor(settings)
    refs = read_refs(ROOT / "sample_audio" / "refs.tsv")[: args.calls or None]
    rows, hyp_cs, hyp_plain = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        for i, ref in enumerate(refs):
            truth = json.loads(ref.audio.with_suffix(".json").read_text())
            duration = truth["turns"][-1]["end"]
            jobs = [lambda: run_callscope(ref.audio, processor, Path(scratch)),
                    lambda: run_plain(ref.audio, processor.transcriber, truth["channels"])]
            if i % 2:
                jobs.reverse()
            first, second = (job() for job in jobs)
            (cs, cs_text, stages), (plain, plain_text) = (first, second) if i % 2 == 0 else (second, first)
            hyp_cs.append(cs_text)
            hyp_plain.append(plain_text)
            rows.append({"call": ref.audio.name, "channels": truth["channels"], "audio_s": round(duration, 1),
                         "callscope_s": round(cs, 2), "plain_s": round(plain, 2),
                         "transcribe_s": stages["transcribe"], "enrich_s": stages.get("enrich", 0.0)})
            print(f"{ref.audio.name:28s} {cs:6.1f} s callscope  {plain:6.1f} s plain  "
                  f"{rows[-1]['enrich_s']:5.2f} s enrichment", flush=True)

    audio = sum(r["audio_s"] for r in rows)
    cs_total, plain_total = sum(r["callscope_s"] for r in rows), sum(r["plain_s"] for r in rows)
    texts = [r.text for r in refs]
    result = {
        "model": args.model, "beam_size": settings.asr.beam_size, "calls": len(rows), "audio_seconds": round(audio, 1),
        "callscope_x_real_time": round(audio / cs_total, 2), "plain_x_real_time": round(audio / plain_total, 2),
        "overhead_percent": round(100 * (cs_total / plain_total - 1), 1),
        "callscope_wer": round(word_error_rate(texts, hyp_cs)["wer"], 4),
        "plain_wer": round(word_error_rate(texts, hyp_plain)["wer"], 4),
        "enrich_percent_of_transcription": round(
            100 * sum(r["enrich_s"] for r in rows) / sum(r["transcribe_s"] for r in rows), 1),
        "files": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"transcribe-{args.model}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\n{args.model}: callscope {result['callscope_x_real_time']}x real time, plain faster-whisper "
          f"{result['plain_x_real_time']}x; overhead {result['overhead_percent']}%; "
          f"WER callscope {result['callscope_wer']:.2%} vs plain {result['plain_wer']:.2%}; "
          f"enrichment {result['enrich_percent_of_transcription']}% of transcription time")


if __name__ == "__main__":
    main()
