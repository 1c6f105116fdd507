"""Build a long two-party call (default 2 hours) from REAL speech in phone conditions.

    python benchmarks/long_call_devset.py [--hours 2] [--out /work/long_call] [--mirrors /work/.mirror]

The same two real voices talk all along: customer = LibriSpeech test-other speaker 2414, agent =
speaker 2609 (Resemblyzer's copy, 10 utterances each; the pair of phone_devset's `asm_lsother_01`).
Their utterances are replayed round after round, each round in a new order and with new turn-taking
(`phone_devset.place_turns`: gaps, overlaps), until the call is long enough. The whole call goes through
ONE telephone line (gains, G.711 codec, line noise and bleed drawn once, as in `phone_devset`), applied
block by block so the builder itself stays small in memory. Written outside the repository:

    <out>/long_<hours>h_mono.wav, <out>/long_<hours>h_stereo.wav   (8 kHz, 16-bit; stereo: customer ch0)
    <out>/long_<hours>h.rttm        reference turns (A = customer, B = agent)
    <out>/long_<hours>h.json        {"duration", "speakers", "line", "parts", "rounds"}

The voices repeat (10 utterances a party), so this measures memory, time and speaker-label drift over
a long call, not ASR accuracy (there are no transcripts). Seeded: the same sources give the same files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parent))

from phone_devset import (PHONE_RATE, RATE, CallPlan, Placed, band_limit, g711,  # noqa: E402
                          librispeech_other, line_noise, party_tracks, place_turns, rttm_lines)

SEED = 17
VOICES = ("2414", "2609")       # customer, agent
BLOCK_ROUNDS = 4                # rounds put through the line at once (about 10 minutes)


def rounds(voices: list[list], seconds: float, rng: np.random.Generator) -> list[list[Placed]]:
    """Rounds of turns (times from the call's start) until `seconds` are filled."""
    found, clock = [], 0.0
    while clock < seconds:
        parties = [[party[i] for i in rng.permutation(len(party))] for party in voices]
        placed = place_turns(CallPlan("long", "en", parties), rng)
        found.append([Placed(p.party, p.start + clock, p.utterance) for p in placed])
        clock = max(p.end for p in found[-1]) + float(rng.uniform(0.5, 1.5))
    return found


def through_line(block: list[Placed], begin: float, line: dict, rng: np.random.Generator):
    """(stereo [2, n], mono [n]) 8 kHz of the turns in `block`, from `begin` seconds on."""
    shifted = [Placed(p.party, p.start - begin, p.utterance) for p in block]
    parties = [band_limit(t) * 10 ** (g / 20) for t, g in zip(party_tracks(shifted), line["gains_db"])]
    bleed = 10 ** (line["bleed_db"] / 20)
    stereo = np.stack([g711(parties[i] + bleed * parties[1 - i] + line_noise(len(parties[i]), rng, line["noise_dbfs"]),
                            line["codec"]) for i in range(2)])
    mono = g711(parties[0] + parties[1] + line_noise(len(parties[0]), rng, line["noise_dbfs"]), line["codec"])
    return stereo, mono


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--out", type=Path, default=Path("/work/long_call"))
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    args = parser.parse_args()
    voices = librispeech_other(args.mirrors)
    if not all(v in voices for v in VOICES):
        raise SystemExit(f"LibriSpeech test-other voices {VOICES} not found: fetch github:resemble-ai/Resemblyzer "
                         f"into {args.mirrors}")
    rng = np.random.default_rng(SEED)
    line = {"gains_db": [round(float(g), 1) for g in rng.uniform(-6, 6, size=2)],
            "bleed_db": round(float(rng.uniform(-30, -20)), 1), "codec": str(rng.choice(["pcm_mulaw", "pcm_alaw"])),
            "noise_dbfs": round(float(rng.uniform(-62, -48)), 1)}
    all_rounds = rounds([voices[v] for v in VOICES], args.hours * 3600, rng)
    name = f"long_{args.hours:g}h"
    args.out.mkdir(parents=True, exist_ok=True)
    written = 0
    with soundfile.SoundFile(args.out / f"{name}_stereo.wav", "w", PHONE_RATE, 2, "PCM_16") as stereo_file, \
            soundfile.SoundFile(args.out / f"{name}_mono.wav", "w", PHONE_RATE, 1, "PCM_16") as mono_file:
        for first in range(0, len(all_rounds), BLOCK_ROUNDS):
            block = [p for r in all_rounds[first: first + BLOCK_ROUNDS] for p in r]
            stereo, mono = through_line(block, written / PHONE_RATE, line, rng)
            following = all_rounds[first + BLOCK_ROUNDS][0].start if first + BLOCK_ROUNDS < len(all_rounds) else None
            # the block ends where the next round starts (silence in between is line noise of this block)
            length = len(mono) if following is None else int(round(following * PHONE_RATE)) - written
            stereo, mono = (np.pad(stereo, ((0, 0), (0, max(0, length - stereo.shape[1]))))[:, :length],
                            np.pad(mono, (0, max(0, length - len(mono))))[:length])
            stereo_file.write(np.clip(stereo.T, -1, 1))
            mono_file.write(np.clip(mono, -1, 1))
            written += length
    turns = [("AB"[p.party], p.start, p.end) for r in all_rounds for p in r]
    (args.out / f"{name}.rttm").write_text(rttm_lines(name, turns))
    facts = {"duration": round(written / PHONE_RATE, 2), "speakers": {"A": "customer", "B": "agent"},
             "rttm": f"{name}.rttm", "line": line, "rounds": len(all_rounds), "sample_rate": PHONE_RATE,
             "parts": [f"librispeech test-other {VOICES[0]} (customer)", f"librispeech test-other {VOICES[1]} (agent)"]}
    (args.out / f"{name}.json").write_text(json.dumps(facts, indent=1) + "\n")
    print(f"{name}: {facts['duration'] / 60:.1f} min, {len(all_rounds)} rounds, {len(turns)} turns -> {args.out}")


if __name__ == "__main__":
    main()
