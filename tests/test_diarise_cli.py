"""`callscope run` on awkward mono calls (real tiny.en and diarisation models): one speaker, music on hold."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from callscope.cli import app
from callscope.pipeline.audio import load_audio
from tests.conftest import SAMPLES, sample_audio, write_wav

pytestmark = pytest.mark.slow     # loads a speech model

RATE = 16000
MUSIC_SECONDS = 24.0


def turns(call_id: str) -> list[dict]:
    return json.loads((SAMPLES / f"{call_id}.json").read_text())["turns"]


def one_speaker_call(path: Path) -> Path:
    """Only the agent's turns of a mono sample call, joined by 0.6 s pauses (~44 s). pyannote alone
    reports a second speaker here, heard only in overlap with the first (1 s in all)."""
    call = load_audio(sample_audio("password_reset"), "sha").tracks[0]
    pause = np.zeros(int(0.6 * RATE), np.float32)
    pieces = [np.concatenate([call[int(t["start"] * RATE):int(t["end"] * RATE)], pause])
              for t in turns("password_reset") if t["role"] == "agent"]
    return write_wav(path, np.concatenate(pieces))


def hold_music(seconds: float) -> np.ndarray:
    """Synthetic hold music: a I-vi-IV-V chord loop (2 s per chord, with overtones) and an arpeggio."""
    chords = [(261.63, 329.63, 392.0), (220.0, 261.63, 329.63), (174.61, 220.0, 261.63), (196.0, 246.94, 293.66)]
    t = np.arange(int(2.0 * RATE)) / RATE
    bars = []
    for k in range(int(np.ceil(seconds / 2.0))):
        chord = chords[k % len(chords)]
        bar = np.minimum(1.0, t / 0.05) * np.exp(-0.8 * t) * sum(
            np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t) for f in chord) / 3
        for beat in range(4):  # one note of the chord an octave up on every half second
            u = t[int(beat * 0.5 * RATE):int((beat + 1) * 0.5 * RATE)] - beat * 0.5
            bar[int(beat * 0.5 * RATE):int((beat + 1) * 0.5 * RATE)] += (
                0.4 * np.exp(-4 * u) * np.sin(2 * np.pi * 2 * chord[beat % 3] * u))
        bars.append(bar)
    music = np.concatenate(bars)[: int(seconds * RATE)]
    return (0.3 * music / np.abs(music).max()).astype(np.float32)


def music_on_hold_call(path: Path) -> tuple[float, float]:
    """A mono sample call's first two turns, MUSIC_SECONDS of hold music, then three more turns (~58 s).
    Returns where the music starts and ends."""
    call = load_audio(sample_audio("angry_to_satisfied"), "sha").tracks[0]
    script = turns("angry_to_satisfied")
    before, resume, end = script[1]["end"] + 0.3, script[2]["start"] - 0.3, script[4]["end"] + 0.5
    write_wav(path, np.concatenate([call[: int(before * RATE)], hold_music(MUSIC_SECONDS),
                                    call[int(resume * RATE):int(end * RATE)]]))
    return before, before + MUSIC_SECONDS


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Path, tuple[float, float]]:
    """Both calls through one `callscope run` (fast tiny.en model)."""
    inputs = tmp_path_factory.mktemp("awkward_calls")
    out = tmp_path_factory.mktemp("awkward_out")
    one_speaker_call(inputs / "one_speaker.wav")
    music = music_on_hold_call(inputs / "music_on_hold.wav")
    result = CliRunner().invoke(app, ["run", str(inputs), "--out", str(out), "--model", "tiny.en"])
    assert result.exit_code == 0, result.output
    return out, music


def test_one_speaker_call_gives_one_speaker(run):
    out, _ = run
    conversation = json.loads((out / "one_speaker.json").read_text())
    (speaker,) = conversation["speakers"]
    assert speaker["role"] in ("agent", "unknown") and speaker["talk_seconds"] > 20
    assert conversation["utterances"] and {u["speaker"] for u in conversation["utterances"]} == {speaker["id"]}
    assert not conversation["overtalk"]
    rttm = (out / "one_speaker.rttm").read_text().splitlines()
    assert rttm and {line.split()[7] for line in rttm} == {speaker["id"]}


def test_music_on_hold_makes_no_words_or_turns(run):
    out, (music_start, music_end) = run
    conversation = json.loads((out / "music_on_hold.json").read_text())
    inside = lambda start, end: min(end, music_end - 0.5) - max(start, music_start + 0.5) > 0  # noqa: E731
    words = [w for s in conversation["segments"] for w in s["words"] if inside(w["start"], w["end"])]
    assert not words, f"words transcribed from the music: {words}"
    assert not [t for t in conversation["turns"] if inside(t["start"], t["end"])]
    assert {s["role"] for s in conversation["speakers"]} == {"agent", "customer"}
    before = [u for u in conversation["utterances"] if u["end"] <= music_start + 0.5]
    after = [u for u in conversation["utterances"] if u["start"] >= music_end - 0.5]
    assert before and after, "the speech on both sides of the music is transcribed"
