"""ASR on real speech in phone conditions: callscope vs plain faster-whisper, same weights, same run.

    python benchmarks/phone_devset.py                      # builds /work/phone_dev (real speech only)
    python benchmarks/bench_phone_asr.py [--set /work/phone_dev] [--only spokenwoz] [--no-mono] [--json FILE]
        [--asr vad_threshold=0.5 ...]                      # callscope settings to try instead of the defaults

Every item of the set with a reference transcript (see phone_devset.py's manifest) goes through
- callscope: `CallProcessor` with the default settings (enrichment off), the language given: on stereo
  each channel is transcribed with callscope's VAD settings, skipped speech heard again
  (`recover_skipped`) and the other party's bleed dropped; on mono the default path diarises too;
- plain: the same loaded Whisper model, `WhisperModel.transcribe(beam_size=5, vad_filter=True,
  word_timestamps=True, language=...)` with faster-whisper's default VAD options, each channel alone.
WER (callscope.evaluation.asr, jiwer) per channel and pooled per subset: spokenwoz (real calls) and
assembled (real speakers through a simulated phone line), stereo channels and mono, and overall.
Each channel's level, the other party's bleed, its speech share, pauses and voice clarity (the median
Silero probability over its loud frames, which picks callscope's VAD threshold) are reported beside it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from time import perf_counter, process_time

import numpy as np
import yaml

from callscope.config import Settings
from callscope.conversation import join_words
from callscope.evaluation.asr import word_error_rate
from callscope.files import sha256_file
from callscope.pipeline.audio import SAMPLE_RATE, load_audio
from callscope.pipeline.ingest import InputFile
from callscope.pipeline.process import CallProcessor
from callscope.pipeline.transcribe import vad_threshold, voice_clarity


def words_in_order(segments) -> str:
    """faster-whisper's words, in time order, as one text."""
    words = sorted((w.start, w.word.strip()) for s in segments for w in (s.words or []) if w.word.strip())
    return join_words([text for _, text in words])


def plain_text(model, samples: np.ndarray, language: str) -> str:
    segments, _ = model.transcribe(samples, language=language, beam_size=5, vad_filter=True, word_timestamps=True)
    return words_in_order(segments)


def callscope_texts(processor: CallProcessor, path: Path, language: str) -> list[str]:
    """Per track (stereo) or whole call (mono): callscope's words in time order."""
    processor.settings.asr.language = language
    processor.transcriber.options["language"] = language
    conversation = processor.process(InputFile(path, path.stem), sha256_file(path))
    words = conversation.words()
    tracks = sorted({t.index for t in conversation.tracks}) or [0]
    return [join_words([w.text for w in words if w.track == track]) for track in tracks]


def rttm_turns(path: Path) -> dict[str, list[tuple[float, float]]]:
    turns: dict[str, list[tuple[float, float]]] = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        turns.setdefault(parts[7], []).append((float(parts[3]), float(parts[3]) + float(parts[4])))
    return turns


def _mask(turns: list[tuple[float, float]], length: int) -> np.ndarray:
    mask = np.zeros(length, bool)
    for start, end in turns:
        mask[int(start * SAMPLE_RATE): int(end * SAMPLE_RATE)] = True
    return mask


def _db(samples: np.ndarray) -> float:
    return round(10 * np.log10(float(np.mean(samples.astype(np.float64) ** 2)) + 1e-12), 1) if samples.size else -120.0


def channel_profile(samples: np.ndarray, own: list[tuple[float, float]], other: list[tuple[float, float]]) -> dict:
    """Level of the channel's own speech, of what it carries while only the other party talks (bleed),
    and while nobody talks (noise), in dBFS; its speech share and its longest pause."""
    mine, theirs = _mask(own, samples.size), _mask(other, samples.size)
    gaps = [b[0] - a[1] for a, b in zip(sorted(own), sorted(own)[1:])]
    return {"speech_db": _db(samples[mine]), "bleed_db": _db(samples[theirs & ~mine]),
            "noise_db": _db(samples[~mine & ~theirs]), "speech_share": round(float(mine.mean()), 2),
            "pauses_over_2s": sum(g > 2.0 for g in gaps)}


def score(rows: list[dict], key: str) -> float | None:
    scored = [r for r in rows if r["reference"]]
    if not scored:
        return None
    return round(100 * word_error_rate([r["reference"] for r in scored], [r[key] for r in scored])["wer"], 2)


def parse_overrides(pairs: list[str]) -> dict:
    return {key: yaml.safe_load(value) for key, _, value in (pair.partition("=") for pair in pairs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=Path(__file__).resolve().parents[2] / "phone_dev", help="phone_devset.py's --out")
    parser.add_argument("--only", default="", help="only items whose id contains this")
    parser.add_argument("--no-mono", action="store_true", help="stereo channels only (no diarisation)")
    parser.add_argument("--asr", nargs="*", default=[], help="callscope asr settings to override, key=value")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    manifest = json.loads((args.set / "manifest.json").read_text())
    items = [i for i in manifest["items"] if "asr" in i["tasks"] and args.only in i["id"]
             and not (args.no_mono and i["layout"] == "mono")]

    settings = Settings()
    settings.enrich.enabled = False
    for key, value in parse_overrides(args.asr).items():
        setattr(settings.asr, key, value)
    processor = CallProcessor(settings)
    model = processor.transcriber.model
    rows, seconds, cpu = [], {"callscope": 0.0, "plain": 0.0}, {"callscope": 0.0, "plain": 0.0}
    for item in items:
        path = args.set / item["path"]
        audio = load_audio(path, sha256_file(path))
        started, cpu_started = perf_counter(), process_time()
        ours = callscope_texts(processor, path, item["language"])
        seconds["callscope"] += perf_counter() - started
        cpu["callscope"] += process_time() - cpu_started
        turns = rttm_turns(args.set / item["rttm"])
        labels = item["channels"] or ["A+B"]
        for index, samples in enumerate(audio.tracks):
            reference = item["reference"]["mono" if item["layout"] == "mono" else str(index)]
            if not reference:
                continue
            started, cpu_started = perf_counter(), process_time()
            plain = plain_text(model, samples, item["language"])
            seconds["plain"] += perf_counter() - started
            cpu["plain"] += process_time() - cpu_started
            label = labels[index]
            own = [t for who, spans in turns.items() if who in label for t in spans]
            other = [t for who, spans in turns.items() if who not in label for t in spans]
            row = {"item": item["id"], "channel": index, "source": item["source"], "layout": item["layout"],
                   "reference": reference, "callscope": ours[index] if index < len(ours) else "", "plain": plain,
                   "clarity": round(voice_clarity(samples), 2), "vad_threshold": vad_threshold(settings.asr, samples),
                   **channel_profile(samples, own, other)}
            row["wer_callscope"], row["wer_plain"] = score([row], "callscope"), score([row], "plain")
            rows.append(row)
            print(f"{item['id']:28s} ch{index} callscope {row['wer_callscope']:6.2f}  plain {row['wer_plain']:6.2f}  "
                  f"speech {row['speech_db']:6.1f} bleed {row['bleed_db']:6.1f} noise {row['noise_db']:6.1f} dBFS  "
                  f"share {row['speech_share']:.2f} clarity {row['clarity']:.2f} -> {row['vad_threshold']}", flush=True)

    subsets = {"spokenwoz stereo": lambda r: r["source"] == "spokenwoz" and r["layout"] == "stereo",
               "spokenwoz mono": lambda r: r["source"] == "spokenwoz" and r["layout"] == "mono",
               "assembled stereo": lambda r: r["source"] == "assembled" and r["layout"] == "stereo",
               "assembled mono": lambda r: r["source"] == "assembled" and r["layout"] == "mono",
               "overall": lambda r: True}
    table = {}
    print(f"\n{'subset':18s} {'channels':>8s} {'words':>6s} {'callscope':>9s} {'plain':>6s}   (WER %)")
    for name, keep in subsets.items():
        chosen = [r for r in rows if keep(r)]
        if chosen:
            words = sum(len(r["reference"].split()) for r in chosen)
            table[name] = {"channels": len(chosen), "words": words,
                           "callscope": score(chosen, "callscope"), "plain": score(chosen, "plain")}
            print(f"{name:18s} {len(chosen):8d} {words:6d} {table[name]['callscope']:9.2f} {table[name]['plain']:6.2f}")
    print(f"seconds: callscope {seconds['callscope']:.0f} (mono includes diarisation), plain {seconds['plain']:.0f}; "
          f"CPU seconds (user+sys): callscope {cpu['callscope']:.0f}, plain {cpu['plain']:.0f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"asr": settings.asr.model_dump(), "subsets": table,
                                         "seconds": {k: round(v, 1) for k, v in seconds.items()},
                                         "cpu_seconds": {k: round(v, 1) for k, v in cpu.items()},
                                         "channels": rows}, indent=1))


if __name__ == "__main__":
    main()
