"""Calibrate the second-voice check: does it split two merged voices and leave one voice alone?

Recordings (built in memory, nothing written):
- one voice: each sample-call voice alone (its turns joined by pauses; the
  stereo calls' channels, calls with bleed left out), the solo speech of each
  speaker of pyannote's sample and of the AMI debug files (>= 8 s), and the
  LibriSpeech mini speaker (../shared/data, when present);
- two voices: the mono sample calls, the stereo calls downmixed, and --pairs
  mixes of two voices from different sample calls at the same sample rate
  (turns interleaved; a pair of the same espeak voice and pitch counts as one voice);
- AMI files with 2-4 speakers are listed for the record.

Each goes through pyannote's pipeline (second voice off), then `Diariser.recheck`
where one speaker holds nearly all the solo speech. Prints the split statistics
(ratio, share, units), DER before/after against the reference turns (collar 0,
overlap scored), a summary and the outcome over a grid of thresholds.

    python benchmarks/tune_second_voice.py [--pairs 24] [--json out.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from pathlib import Path

import numpy as np
import torch
from pyannote.core import Annotation, Segment

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tune_diarization import AMI, ROOT, ami_files, read_mono, sample_file  # noqa: E402

from callscope.evaluation.der import score  # noqa: E402
from callscope.pipeline.audio import load_audio  # noqa: E402
from callscope.pipeline.diarise import DiarisationSettings, Diariser  # noqa: E402

RATE = 16000
SAMPLES = ROOT / "sample_audio"
LIBRISPEECH = ROOT.parent / "shared" / "data" / "librispeech_testclean_mini"
RATIOS = (1.2, 1.25, 1.3, 1.35, 1.4, 1.5)
SHARES = (0.2, 0.25, 0.3, 0.35)


def joined(pieces: list[tuple[np.ndarray, str]], rng: random.Random) -> tuple[np.ndarray, list]:
    """Pieces (samples, label) joined by 0.3-1.2 s pauses of faint noise, and their turns."""
    noise = np.random.default_rng(rng.randrange(2 ** 32))
    out, turns, t = [], [], 0.4
    out.append(noise.normal(0, 10 ** (-55 / 20), int(0.4 * RATE)))
    for samples, label in pieces:
        out.append(samples)
        turns.append((t, t + len(samples) / RATE, label))
        gap = rng.uniform(0.3, 1.2)
        out.append(noise.normal(0, 10 ** (-55 / 20), int(gap * RATE)))
        t += len(samples) / RATE + gap
    return np.concatenate(out).astype(np.float32), turns


def sample_voices() -> tuple[dict, list[dict]]:
    """Each sample-call voice's turns (calls with bleed left out), and the whole two-voice calls."""
    voices, calls = {}, []
    for path in sorted(SAMPLES.glob("*.json")):
        truth = json.loads(path.read_text())
        if truth.get("bleed_db"):
            continue
        tracks = load_audio(SAMPLES / truth["audio"], sha256="").tracks
        turns = [(t["start"], t["end"], t["role"]) for t in truth["turns"]]
        mono = tracks[0] if len(tracks) == 1 else sum(t[: min(map(len, tracks))] for t in tracks) / 2
        calls.append({"name": truth["id"] + ("" if len(tracks) == 1 else ":downmix"), "voices": 2,
                      "waveform": mono, "turns": turns})
        for index, role in enumerate(("agent", "customer")):
            track = tracks[0] if len(tracks) == 1 else tracks[index]
            voice = truth["voices"][role]
            voices[f"{truth['id']}:{role}"] = {
                "rate": truth["sample_rate"], "voice": f"{voice['voice']} pitch {voice['pitch']}",
                "pieces": [track[int(a * RATE):int(b * RATE)] for a, b, r in turns if r == role]}
    return voices, calls


def solo_speech(name: str, waveform: np.ndarray, reference: Annotation, rng: random.Random) -> list[dict]:
    """Each speaker's speech where nobody else speaks, joined, when there is at least 8 s of it."""
    found = []
    for speaker in reference.labels():
        others = reference.subset([s for s in reference.labels() if s != speaker]).get_timeline().support()
        solo = [s for s in reference.label_timeline(speaker).support().extrude(others) if s.duration > 0.5]
        if sum(s.duration for s in solo) >= 8:
            samples, turns = joined([(waveform[int(s.start * RATE):int(s.end * RATE)], speaker) for s in solo], rng)
            found.append({"name": f"{name}:{speaker}", "voices": 1, "waveform": samples, "turns": turns})
    return found


def recordings(pairs: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    voices, calls = sample_voices()
    found = list(calls)
    for key, voice in voices.items():
        samples, turns = joined([(p, key) for p in voice["pieces"]], rng)
        found.append({"name": key, "voices": 1, "waveform": samples, "turns": turns})
    candidates = [(a, b) for a, b in itertools.combinations(sorted(voices), 2)
                  if voices[a]["rate"] == voices[b]["rate"] and a.split(":")[0] != b.split(":")[0]]
    for a, b in rng.sample(candidates, min(pairs, len(candidates))):
        interleaved = [piece for duo in itertools.zip_longest(
            [(p, a) for p in voices[a]["pieces"]], [(p, b) for p in voices[b]["pieces"]]) for piece in duo if piece]
        samples, turns = joined(interleaved, rng)
        keep = int(min(len(samples), 60 * RATE))
        found.append({"name": f"{a}+{b}", "voices": 1 if voices[a]["voice"] == voices[b]["voice"] else 2,
                      "waveform": samples[:keep],
                      "turns": [(s, min(e, keep / RATE), label) for s, e, label in turns if s < keep / RATE]})
    sample = sample_file()
    found += solo_speech("sample", sample["waveform"][0].numpy(), sample["annotation"], rng)
    if AMI.is_dir():
        for file in ami_files("train") + ami_files("development") + ami_files("test"):
            waveform, reference = file["waveform"][0].numpy(), file["annotation"]
            found.append({"name": f"ami:{file['uri']}", "voices": len(reference.labels()), "waveform": waveform,
                          "turns": [(s.start, s.end, label) for s, _, label in reference.itertracks(yield_label=True)]})
            found += solo_speech(f"ami:{file['uri']}", waveform, reference, rng)
    if LIBRISPEECH.is_dir():
        samples, turns = joined([(read_mono(p), "1089") for p in sorted(LIBRISPEECH.glob("*.flac"))], rng)
        found.append({"name": "librispeech:1089", "voices": 1, "waveform": samples, "turns": turns})
    return found


def der(turns: list[tuple], hypothesis) -> float:
    reference, found = Annotation(uri="x"), Annotation(uri="x")
    for i, (start, end, label) in enumerate(turns):
        reference[Segment(start, end), i] = label
    for i, turn in enumerate(hypothesis):
        found[Segment(turn.start, turn.end), i] = turn.speaker
    return round(100 * score({"x": reference}, {"x": found})[1].der, 2)


def study(diariser: Diariser, recording: dict) -> dict:
    samples = torch.from_numpy(np.ascontiguousarray(recording["waveform"], np.float32))
    before = diariser.diarise(recording["waveform"])
    torch.set_num_threads(1)
    with torch.inference_mode():
        after, verdict = diariser.recheck(samples, before)
    split = verdict.split if verdict else None
    row = {"name": recording["name"], "voices": recording["voices"], "speakers_before": len(before.speakers),
           "speakers_after": len(after.speakers), "checked": verdict is not None,
           "ratio": round(split.ratio, 3) if split else None, "share": round(split.share, 3) if split else None,
           "smaller_units": split.smaller if split else None, "split": bool(verdict and verdict.turns),
           "der_before": der(recording["turns"], before.turns), "der_after": der(recording["turns"], after.turns)}
    stats = f"ratio {row['ratio']:.2f} share {row['share']:.2f} units {row['smaller_units']:2d}" if split else \
        ("too little speech" if verdict else "not checked (several speakers)")
    print(f"{row['name']:48s} voices {row['voices']} speakers {row['speakers_before']}->{row['speakers_after']} "
          f"{stats:34s} DER {row['der_before']:6.2f} -> {row['der_after']:6.2f}{'  SPLIT' if row['split'] else ''}",
          flush=True)
    return row


def grid(rows: list[dict], min_units: int = 5) -> None:
    """For each threshold pair: one-voice recordings split (false) and two-voice ones split (found)."""
    judged = [r for r in rows if r["ratio"] is not None and r["voices"] <= 2]
    ones, twos = [r for r in judged if r["voices"] == 1], [r for r in judged if r["voices"] == 2]
    print(f"\nthreshold grid over {len(ones)} one-voice and {len(twos)} two-voice recordings that were checked:")
    for ratio, share in itertools.product(RATIOS, SHARES):
        split = [r for r in judged if r["ratio"] >= ratio and r["share"] >= share and r["smaller_units"] >= min_units]
        print(f"  ratio >= {ratio:.2f} share >= {share:.2f}: one voice split {sum(r['voices'] == 1 for r in split)}"
              f"/{len(ones)}, two voices split {sum(r['voices'] == 2 for r in split)}/{len(twos)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=24, help="two-voice mixes of sample-call voices")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    diariser = Diariser(DiarisationSettings(second_voice=False))  # recheck() is called explicitly
    rows = [study(diariser, r) for r in recordings(args.pairs)]
    for voices, label in ((1, "one voice"), (2, "two voices")):
        group = [r for r in rows if r["voices"] == voices]
        count = lambda found: sum(found(r) for r in group)  # noqa: E731
        print(f"{label}: {len(group)} recordings; more than one speaker found: "
              f"{count(lambda r: r['speakers_before'] > 1)} before, {count(lambda r: r['speakers_after'] > 1)} after; "
              f"exactly {voices}: {count(lambda r: r['speakers_before'] == voices)} before, "
              f"{count(lambda r: r['speakers_after'] == voices)} after; mean DER "
              f"{np.mean([r['der_before'] for r in group]):.2f} -> {np.mean([r['der_after'] for r in group]):.2f}")
    grid(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
