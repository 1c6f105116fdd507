"""Build the development set of REAL speech in phone conditions (no synthetic voices).

    python benchmarks/phone_devset.py [--out /work/phone_dev] [--data ../shared/data] [--mirrors /work/.mirror]

Two kinds of item, every one as stereo (one party per channel) and as mono:

- `spokenwoz`: the 4 real two-party 8 kHz phone calls of `<data>/spokenwoz_dev` as they are (stereo,
  customer ch0, agent ch1; MUL1423 has the agent's bleed on ch0) and mixed to mono; and MUL1011 (3 min,
  Opus, no transcript): diarisation and roles only, held out (`HELD_OUT`: never used to choose a setting).
- `assembled`: two-party calls put together from real recorded speakers (LibriSpeech, FLEURS, AMI,
  pyannote's sample, JFK), turn by turn with natural gaps (0.1-0.8 s), some overlap and back-channels
  cut from real audio, then passed through a telephone channel: 300-3400 Hz band-pass, 8 kHz, a gain
  per party (-6..+6 dB), G.711 (mu-law or a-law, encoded and decoded by PyAV), line noise and, on
  stereo, a little bleed of the other party.

Sources missing on this machine are skipped (the summary says which). The audio is written to `--out`,
never into the repository (some sources are CC BY-NC: development only; see docs/real_speech.md).
Everything is seeded: the same inputs give the same files.

Manifest (`<out>/manifest.json`, format version 1; paths relative to `<out>`)::

    {"version": 1, "sample_rate": 8000, "items": [{
        "id": "asm_ls_01_stereo",           # unique; the same call's two layouts share "call"
        "call": "asm_ls_01",
        "source": "spokenwoz" | "assembled",
        "layout": "stereo" | "mono",
        "path": "audio/asm_ls_01_stereo.wav",   # 16-bit PCM WAV, 8 kHz
        "duration": 123.4,                  # seconds
        "language": "en" | "fr",
        "speakers": {"A": "customer", "B": "agent"},   # speaker label (as in the RTTM) -> role
        "channels": ["A", "B"],             # stereo: the speaker on each channel; mono: null
        "rttm": "rttm/asm_ls_01.rttm",     # reference speech (file id = call), shared by both layouts:
                                            # each party's turns where its own channel is active
        "rttm_spans": "rttm/asm_ls_01.spans.rttm",  # the turns with their pauses (word spans, utterances
                                            # as placed): the reference before 2026-12-03, for comparison
        "reference": {"0": "text", "1": null} | {"mono": "text" | null},
                                            # per channel (stereo) or whole call (mono); null: no
                                            # transcript for it (do not score ASR there)
        "tasks": ["asr", "diarisation"],    # what the item can score; "diarisation" only when each
                                            # party is one real voice
        "parts": ["librispeech 1089 (customer)", ...], # the recordings it is made of
        "held_out": true                    # (some real calls) never used to choose a setting
    }]}

`<out>/READY` is written last, once every item and the manifest are on disk.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import re
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import soundfile
from faster_whisper import decode_audio
from scipy.signal import butter, sosfiltfilt

RATE = 16000          # working rate while assembling
PHONE_RATE = 8000
SEED = 15
MANIFEST_VERSION = 1
CUTTLEDOC = "sebastian-software+cuttledoc/repo"
RESEMBLYZER = "resemble-ai+Resemblyzer/repo"
HELD_OUT = {"MUL1011"}   # real calls never used to choose a setting: figures on them are held out


@dataclass
class Utterance:
    """One real recording of one voice: samples at RATE, its transcript (None: unknown); `voices`, when
    the source's own speaker turns say the clip also holds the other party's voice: (own?, start, end)
    seconds into the clip of each voice heard in it."""

    audio: np.ndarray
    text: str | None
    voice: str
    voices: list[tuple[bool, float, float]] | None = None


@dataclass
class Placed:
    party: int
    start: float
    utterance: Utterance

    @property
    def end(self) -> float:
        return self.start + len(self.utterance.audio) / RATE


@dataclass
class CallPlan:
    call: str
    language: str
    parties: list[list[Utterance]]               # party 0 = customer, party 1 = agent
    backchannels: list[list[Utterance]] = field(default_factory=lambda: [[], []])
    diarisation: bool = True
    parts: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- reading sources

def trim(audio: np.ndarray, below_peak_db: float = 35.0, margin: float = 0.05) -> np.ndarray:
    """The recording without its leading and trailing silence (20 ms frames quieter than peak - 35 dB)."""
    n = RATE // 50
    frames = audio[: len(audio) // n * n].reshape(-1, n)
    db = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(db > db.max() - below_peak_db)
    if loud.size == 0:
        return audio
    pad = int(margin * RATE)
    return audio[max(0, loud[0] * n - pad): min(len(audio), (loud[-1] + 1) * n + pad)]


def load(path_or_bytes) -> np.ndarray:
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else str(path_or_bytes)
    return decode_audio(source, sampling_rate=RATE).astype(np.float32)


def git_blob(repo: Path, path: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), "show", f"HEAD:{path}"], capture_output=True, check=True).stdout


def git_files(repo: Path, under: str) -> list[str]:
    out = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", "--name-only", "HEAD", under],
                         capture_output=True, check=True, text=True).stdout
    return sorted(out.split())


def librispeech_mini(data: Path) -> list[Utterance]:
    folder = data / "librispeech_testclean_mini"
    texts = {}
    for trans in folder.glob("*.trans.txt"):
        for line in trans.read_text().splitlines():
            key, _, text = line.partition(" ")
            texts[key] = text.lower()
    return [Utterance(trim(load(folder / f"{key}.flac")), texts[key], "ls1089") for key in sorted(texts)]


def jfk(data: Path) -> list[Utterance]:
    folder = data / "faster_whisper_tests"
    text = json.loads((folder / "references.json").read_text())["jfk.flac"]["text"]
    return [Utterance(trim(load(folder / "jfk.flac")), text, "jfk")]


def pyannote_sample() -> list[list[Utterance]]:
    """The two voices of pyannote's sample call, one utterance per STM line, with who speaks when inside
    it by the sample's RTTM (speaker90 is Diane): 7 of the 13 lines also hold the other voice (2.1 s)."""
    spec = importlib.util.find_spec("pyannote.audio")
    folder = Path(spec.submodule_search_locations[0]) / "sample"
    audio = load(folder / "sample.wav")
    names = {"speaker90": "Diane", "speaker91": "Sheila"}
    turns = [(names[f[7]], float(f[3]), float(f[3]) + float(f[4]))
             for f in map(str.split, (folder / "sample.rttm").read_text().splitlines())]
    voices: dict[str, list[Utterance]] = defaultdict(list)
    for line in (folder / "sample.stm").read_text().splitlines():
        _, _, who, start, end, text = line.split(" ", 5)
        start, end = float(start), float(end)
        heard = [(name == who, max(a, start) - start, min(b, end) - start) for name, a, b in turns if a < end and b > start]
        voices[who].append(Utterance(audio[int(start * RATE): int(end * RATE)], text, f"pyannote_{who}", heard))
    return [voices["Diane"], voices["Sheila"]]


def fleurs(mirrors: Path, language: str) -> list[Utterance]:
    repo = mirrors / CUTTLEDOC
    if not repo.is_dir():
        return []
    base = "packages/cuttledoc/fixtures"
    found = []
    for name in git_files(repo, base):
        if re.fullmatch(rf"{base}/fleurs-{language}-\d+\.ogg", name):
            text = git_blob(repo, name[:-4] + ".txt").decode().strip()
            found.append(Utterance(trim(load(git_blob(repo, name))), text, f"fleurs_{Path(name).stem}"))
    return found


def librispeech_other(mirrors: Path) -> dict[str, list[Utterance]]:
    """Resemblyzer's LibriSpeech test-other: 10 speakers x 10 utterances, no transcripts."""
    repo = mirrors / RESEMBLYZER
    if not repo.is_dir():
        return {}
    voices: dict[str, list[Utterance]] = defaultdict(list)
    for name in git_files(repo, "audio_data/librispeech_test-other"):
        if name.endswith(".flac"):
            speaker = name.split("/")[-2]
            voices[speaker].append(Utterance(trim(load(git_blob(repo, name))), None, f"ls_{speaker}"))
    return dict(voices)


def ami_voices(data: Path, min_turn: float = 1.0) -> tuple[dict[str, list[Utterance]], dict[str, list[Utterance]]]:
    """Stretches of AMI excerpts where one speaker alone talks (by the RTTMs): turns (>= 1 s) and short
    ones (0.3-1 s, used as back-channels), per speaker."""
    folder = data / "ami_pyannote_debug"
    turns: dict[str, list[tuple[float, float]]] = defaultdict(list)
    by_file: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for rttm in sorted(folder.glob("*.rttm")):
        for line in rttm.read_text().splitlines():
            parts = line.split()
            by_file[parts[1]].append((parts[7], float(parts[3]), float(parts[3]) + float(parts[4])))
    long_ones, short_ones = defaultdict(list), defaultdict(list)
    for uri, segments in sorted(by_file.items()):
        wav = folder / f"{uri}.wav"
        if not wav.is_file():
            continue
        audio = load(wav)
        for speaker, start, end in segments:
            others = sorted((s, e) for who, s, e in segments if who != speaker and s < end and e > start)
            cursor, pieces = start, []
            for s, e in others:
                if s > cursor:
                    pieces.append((cursor, s))
                cursor = max(cursor, e)
            if cursor < end:
                pieces.append((cursor, end))
            for s, e in pieces:
                clip = audio[int(s * RATE): int(e * RATE)]
                target = long_ones if e - s >= min_turn else short_ones if e - s >= 0.3 else None
                if target is not None:
                    target[speaker] += [Utterance(piece, None, f"ami_{speaker}") for piece in split_long(clip)]
    return dict(long_ones), dict(short_ones)


def split_long(audio: np.ndarray, longest: float = 8.0) -> list[np.ndarray]:
    """A long stretch cut at its quietest 20 ms frame in the middle third, again and again, until no
    piece is longer than `longest` seconds."""
    if len(audio) <= longest * RATE:
        return [audio]
    n = RATE // 50
    third = len(audio) // 3 // n
    energy = [np.mean(audio[i * n:(i + 1) * n] ** 2) for i in range(third, 2 * third)]
    cut = (third + int(np.argmin(energy))) * n
    return split_long(audio[:cut], longest) + split_long(audio[cut:], longest)


def spokenwoz_backchannels(data: Path) -> list[Utterance]:
    """Short replies ("okay", "yeah", "mhm", ...) said alone, cut from the real spokenwoz calls."""
    folder = data / "spokenwoz_dev"
    words = {"okay", "yeah", "yes", "mhm", "uh-huh", "right", "sure", "alright", "hmm", "um-hum"}
    found = []
    for text_file in sorted((folder / "text").glob("*.json")):
        stereo = decode_audio(str(folder / "audio" / f"{text_file.stem}.wav"), sampling_rate=RATE, split_stereo=True)
        items = json.loads(text_file.read_text())
        for i, word in enumerate(items):
            alone = ((i == 0 or word["start"] - items[i - 1]["end"] > 0.4) and
                     (i + 1 == len(items) or items[i + 1]["start"] - word["end"] > 0.4))
            if alone and word["word"].lower() in words and 0.15 < word["end"] - word["start"] < 1.0:
                channel = stereo[0 if word["speaker"] == "A" else 1]
                clip = channel[int((word["start"] - 0.05) * RATE): int((word["end"] + 0.05) * RATE)]
                found.append(Utterance(clip, word["word"].lower(), f"spokenwoz_{text_file.stem}_{word['speaker']}"))
    return found


# ---------------------------------------------------------------- turn-taking and the phone line

def place_turns(plan: CallPlan, rng: np.random.Generator) -> list[Placed]:
    """Parties alternate (each takes 1-2 utterances in a turn); gaps 0.1-0.8 s, 15% of turns overlap the
    previous one by 0.2-0.6 s; a back-channel of the listener sits inside 30% of turns longer than 4 s."""
    queues = [list(p) for p in plan.parties]
    placed: list[Placed] = []
    party, clock = 0, 0.5
    backs = [list(b) for b in plan.backchannels]
    while any(queues):
        if not queues[party]:
            party = 1 - party
        take = 1 if rng.random() < 0.7 else 2
        for _ in range(take):
            if not queues[party]:
                break
            utterance = queues[party].pop(0)
            if placed and placed[-1].party != party and rng.random() < 0.15:
                previous = placed[-1]
                start = max(previous.start + 0.5 * (previous.end - previous.start),
                            previous.end - rng.uniform(0.2, 0.6))
            elif placed and placed[-1].party == party:
                start = clock + rng.uniform(0.15, 0.5)
            else:
                start = clock + rng.uniform(0.1, 0.8)
            turn = Placed(party, start, utterance)
            placed.append(turn)
            listener = 1 - party
            if turn.end - turn.start > 4.0 and backs[listener] and rng.random() < 0.3:
                back = backs[listener].pop(int(rng.integers(len(backs[listener]))))
                placed.append(Placed(listener, turn.start + rng.uniform(0.4, 0.7) * (turn.end - turn.start), back))
            clock = max(clock, turn.end)
        party = 1 - party
    return sorted(placed, key=lambda p: p.start)


def party_tracks(placed: list[Placed]) -> list[np.ndarray]:
    length = int(max(p.end for p in placed) * RATE) + RATE // 2
    tracks = [np.zeros(length, np.float32), np.zeros(length, np.float32)]
    for p in placed:
        begin = int(p.start * RATE)
        audio = p.utterance.audio / (np.sqrt(np.mean(p.utterance.audio ** 2)) + 1e-9) * 0.05   # -26 dBFS RMS
        tracks[p.party][begin: begin + len(audio)] += audio
    return tracks


def band_limit(audio: np.ndarray) -> np.ndarray:
    """300-3400 Hz, then 8 kHz."""
    sos = butter(6, [300, 3400], btype="bandpass", fs=RATE, output="sos")
    return sosfiltfilt(sos, audio)[::RATE // PHONE_RATE].astype(np.float32)


def g711(audio: np.ndarray, codec: str) -> np.ndarray:
    """8 kHz audio encoded with PyAV's pcm_mulaw / pcm_alaw and decoded back."""
    pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="wav") as container:
        stream = container.add_stream(codec, rate=PHONE_RATE, layout="mono")
        for begin in range(0, len(pcm), 4000):
            frame = av.AudioFrame.from_ndarray(pcm[None, begin: begin + 4000], format="s16", layout="mono")
            frame.sample_rate = PHONE_RATE
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    buffer.seek(0)
    with av.open(buffer) as container:
        decoded = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
    return (decoded.astype(np.float32) / 32768.0)[: len(audio)]


def line_noise(length: int, rng: np.random.Generator, level_db: float) -> np.ndarray:
    """Band-limited hiss plus a faint 50 Hz-harmonic hum at `level_db` dBFS RMS."""
    hiss = rng.standard_normal(length)
    sos = butter(2, [200, 3600], btype="bandpass", fs=PHONE_RATE, output="sos")
    hiss = sosfiltfilt(sos, hiss)
    t = np.arange(length) / PHONE_RATE
    hum = 0.3 * np.sin(2 * np.pi * 150 * t) + 0.2 * np.sin(2 * np.pi * 250 * t)
    noise = hiss / np.sqrt(np.mean(hiss ** 2)) + hum
    return (noise / np.sqrt(np.mean(noise ** 2)) * 10 ** (level_db / 20)).astype(np.float32)


def phone_channel(plan: CallPlan, placed: list[Placed], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, dict]:
    """(stereo [2, n], mono [n]) at 8 kHz through the telephone line, and the line's settings."""
    gains = rng.uniform(-6, 6, size=2)
    bleed_db = float(rng.uniform(-30, -20))
    codec = str(rng.choice(["pcm_mulaw", "pcm_alaw"]))
    noise_db = float(rng.uniform(-62, -48))
    parties = [band_limit(t) * 10 ** (g / 20) for t, g in zip(party_tracks(placed), gains)]
    bleed = 10 ** (bleed_db / 20)
    stereo = np.stack([g711(parties[i] + bleed * parties[1 - i] + line_noise(len(parties[i]), rng, noise_db), codec)
                       for i in range(2)])
    mono = g711(parties[0] + parties[1] + line_noise(len(parties[0]), rng, noise_db), codec)
    line = {"gains_db": [round(float(g), 1) for g in gains], "bleed_db": round(bleed_db, 1), "codec": codec,
            "noise_dbfs": round(noise_db, 1)}
    return stereo, mono, line


# ---------------------------------------------------------------- references

FRAME = 0.02              # seconds per energy frame of the reference speech detector
BELOW_PEAK_DB = 40.0      # speech: within this of the channel's loud frames (99th percentile)...
ABOVE_FLOOR_DB = 15.0     # ...and this far above its noise floor (10th percentile, digital silence left out)
BRIDGE = 0.3              # pauses shorter than this do not split a speaker's speech (NIST RT convention)
BLEED_MARGIN_DB = 10.0    # own speech: this far above what the other party's bleed would give


def frame_db(audio: np.ndarray, rate: int) -> np.ndarray:
    n = int(FRAME * rate)
    frames = audio[: len(audio) // n * n].astype(np.float64).reshape(-1, n)
    return 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-12)


def active(db: np.ndarray) -> np.ndarray:
    """Frames loud enough to be a voice on a channel holding one party (see BELOW_PEAK_DB, ABOVE_FLOOR_DB)."""
    heard = db[db > -100]
    if heard.size == 0:
        return np.zeros(db.shape, bool)
    return db > max(np.percentile(heard, 10) + ABOVE_FLOOR_DB, np.percentile(heard, 99) - BELOW_PEAK_DB)


def frames_of(turns: list[tuple[str, float, float]], who: str, count: int) -> np.ndarray:
    inside = np.zeros(count, bool)
    for speaker, start, end in turns:
        if speaker == who:
            inside[int(start / FRAME): int(np.ceil(end / FRAME))] = True
    return inside


def without_bleed(own: np.ndarray, other: np.ndarray, speaking: np.ndarray, other_speaking: np.ndarray) -> np.ndarray:
    """Frames of a channel louder than the other party's bleed: the channel's level minus the other's,
    where only the other party talks (median), is the bleed; own speech stands BLEED_MARGIN_DB above it."""
    alone = other_speaking & ~speaking
    if alone.sum() < 50:
        return np.ones(own.shape, bool)
    bleed = float(np.median(own[alone] - other[alone]))
    return own >= other + bleed + BLEED_MARGIN_DB


def runs(frames: np.ndarray) -> list[tuple[float, float]]:
    """Stretches of True frames (seconds), pauses under BRIDGE joined."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], frames.astype(np.int8), [0]])))
    joined_runs: list[list[float]] = []
    for start, end in zip(edges[::2] * FRAME, edges[1::2] * FRAME):
        if joined_runs and start - joined_runs[-1][1] < BRIDGE:
            joined_runs[-1][1] = end
        else:
            joined_runs.append([start, end])
    return [(start, end) for start, end in joined_runs]


def spoken_turns(turns: list[tuple[str, float, float]], channels: dict[str, np.ndarray], rate: int,
                 mixed: bool = False) -> list[tuple[str, float, float]]:
    """The reference speech: each speaker's turns kept only where that speaker's own channel (`channels`:
    speaker -> audio of that party alone, or of its recorded channel when `mixed`, i.e. with the other's
    bleed) is active. Pauses inside a turn are not speech."""
    levels = {who: frame_db(audio, rate) for who, audio in channels.items()}
    count = min(len(db) for db in levels.values())
    levels = {who: db[:count] for who, db in levels.items()}
    spans = {who: frames_of(turns, who, count) for who in channels}
    found = []
    for who, db in levels.items():
        speech = spans[who] & active(db)
        if mixed:
            (other,) = [o for o in levels if o != who]
            speech &= without_bleed(db, levels[other], spans[who], spans[other])
        found += [(who, start, end) for start, end in runs(speech)]
    return found



def rttm_lines(call: str, turns: list[tuple[str, float, float]]) -> str:
    return "".join(f"SPEAKER {call} 1 {start:.3f} {end - start:.3f} <NA> <NA> {who} <NA> <NA>\n"
                   for who, start, end in sorted(turns, key=lambda t: t[1]))


def write_references(out: Path, call: str, spans: list[tuple[str, float, float]],
                     speech: list[tuple[str, float, float]]) -> None:
    """rttm/<call>.rttm: the reference speech; rttm/<call>.spans.rttm: the turns before pauses were
    taken out (word spans, utterances as placed), kept to compare with earlier figures."""
    (out / "rttm" / f"{call}.rttm").write_text(rttm_lines(call, speech))
    (out / "rttm" / f"{call}.spans.rttm").write_text(rttm_lines(call, spans))


def joined(texts: list[str | None]) -> str | None:
    return None if any(t is None for t in texts) else " ".join(texts)


def write_wav(path: Path, audio: np.ndarray) -> None:
    soundfile.write(path, np.clip(audio.T if audio.ndim == 2 else audio, -1, 1), PHONE_RATE, subtype="PCM_16")


def items_for(call: str, source: str, language: str, duration: float, rttm: str, channel_texts: list[str | None],
              mono_text: str | None, tasks: list[str], parts: list[str], extra: dict) -> list[dict]:
    common = {"call": call, "source": source, "duration": round(duration, 2), "language": language,
              "speakers": {"A": "customer", "B": "agent"}, "rttm": rttm, "parts": parts, **extra}
    asr_stereo = any(t is not None for t in channel_texts)
    return [
        {"id": f"{call}_stereo", **common, "layout": "stereo", "path": f"audio/{call}_stereo.wav",
         "channels": ["A", "B"], "reference": {"0": channel_texts[0], "1": channel_texts[1]},
         "tasks": (["asr"] if asr_stereo else []) + (["diarisation"] if "diarisation" in tasks else [])},
        {"id": f"{call}_mono", **common, "layout": "mono", "path": f"audio/{call}_mono.wav", "channels": None,
         "reference": {"mono": mono_text},
         "tasks": (["asr"] if mono_text else []) + (["diarisation"] if "diarisation" in tasks else [])},
    ]


def build_spokenwoz(data: Path, out: Path) -> list[dict]:
    folder = data / "spokenwoz_dev"
    items = []
    for text_file in sorted((folder / "text").glob("*.json")):
        call = f"spokenwoz_{text_file.stem}"
        audio, rate = soundfile.read(folder / "audio" / f"{text_file.stem}.wav", dtype="float32", always_2d=True)
        assert rate == PHONE_RATE and audio.shape[1] == 2, f"{text_file.stem}: expected 8 kHz stereo"
        write_wav(out / "audio" / f"{call}_stereo.wav", audio.T)
        write_wav(out / "audio" / f"{call}_mono.wav", audio.mean(axis=1))
        words = sorted(json.loads(text_file.read_text()), key=lambda w: w["start"])
        turns: list[tuple[str, float, float]] = []
        for word in words:     # a speaker's words less than 0.5 s apart form one turn
            last = next((i for i in range(len(turns) - 1, -1, -1) if turns[i][0] == word["speaker"]), None)
            if last is not None and word["start"] - turns[last][2] < 0.5:
                turns[last] = (word["speaker"], turns[last][1], max(turns[last][2], word["end"]))
            else:
                turns.append((word["speaker"], word["start"], word["end"]))
        write_references(out, call, turns, spoken_turns(turns, {"A": audio[:, 0], "B": audio[:, 1]}, rate, mixed=True))
        texts = [" ".join(w["word"] for w in words if w["speaker"] == who) for who in "AB"]
        items += items_for(call, "spokenwoz", "en", len(audio) / rate, f"rttm/{call}.rttm", texts,
                           " ".join(w["word"] for w in words), ["asr", "diarisation"],
                           [f"spokenwoz {text_file.stem} (real phone call)"],
                           {"bleed": "agent heard on ch0" if text_file.stem == "MUL1423" else None,
                            "rttm_spans": f"rttm/{call}.spans.rttm"})
    return items


def build_untranscribed(data: Path, out: Path) -> list[dict]:
    """The SpokenWOZ calls with no transcript here (MUL1011, an Opus file): diarisation only, reference
    speech = each channel where it is active (no word turns to keep it inside), marked `held_out`."""
    folder = data / "spokenwoz_dev"
    items = []
    for path in sorted((folder / "audio").iterdir()):
        if (folder / "text" / f"{path.stem}.json").exists() or path.suffix not in (".opus", ".wav"):
            continue
        call = f"spokenwoz_{path.stem}"
        audio = np.stack(decode_audio(str(path), sampling_rate=PHONE_RATE, split_stereo=True))
        write_wav(out / "audio" / f"{call}_stereo.wav", audio)
        write_wav(out / "audio" / f"{call}_mono.wav", audio.mean(axis=0))
        whole = [(who, 0.0, audio.shape[1] / PHONE_RATE) for who in "AB"]
        speech = spoken_turns(whole, {"A": audio[0], "B": audio[1]}, PHONE_RATE)
        write_references(out, call, speech, speech)
        items += items_for(call, "spokenwoz", "en", audio.shape[1] / PHONE_RATE, f"rttm/{call}.rttm", [None, None],
                           None, ["diarisation"], [f"spokenwoz {path.stem} (real phone call, no transcript)"],
                           {"bleed": None, "rttm_spans": f"rttm/{call}.spans.rttm",
                            "held_out": path.stem in HELD_OUT})
    return items


def voice_turns(placed: list[Placed]) -> tuple[list[tuple[str, float, float]], list[tuple[str, float, float]]]:
    """(each party's own turns, to be kept where its track is active; the other party's voice heard
    inside a party's clips by the source's own annotation, kept as annotated: its track is silent there)."""
    own, other = [], []
    for p in placed:
        if p.utterance.voices is None:
            own.append(("AB"[p.party], p.start, p.end))
            continue
        for is_own, start, end in p.utterance.voices:
            (own if is_own else other).append(("AB"[p.party if is_own else 1 - p.party], p.start + start, p.start + end))
    return own, other


def build_assembled(plan: CallPlan, out: Path, rng: np.random.Generator) -> list[dict]:
    placed = place_turns(plan, rng)
    stereo, mono, line = phone_channel(plan, placed, rng)
    write_wav(out / "audio" / f"{plan.call}_stereo.wav", stereo)
    write_wav(out / "audio" / f"{plan.call}_mono.wav", mono)
    labels = "AB"
    turns = [(labels[p.party], p.start, p.end) for p in placed]
    own, other = voice_turns(placed)
    alone = {labels[party]: band_limit(track) for party, track in enumerate(party_tracks(placed))}
    write_references(out, plan.call, turns, spoken_turns(own, alone, PHONE_RATE) + other)
    texts = [joined([p.utterance.text for p in placed if p.party == party]) for party in (0, 1)]
    mono_text = joined([p.utterance.text for p in placed])
    tasks = ["asr"] + (["diarisation"] if plan.diarisation else [])
    return items_for(plan.call, "assembled", plan.language, mono.size / PHONE_RATE, f"rttm/{plan.call}.rttm",
                     texts, mono_text, tasks, plan.parts, {"line": line, "rttm_spans": f"rttm/{plan.call}.spans.rttm"})


def plans(data: Path, mirrors: Path, rng: np.random.Generator, skipped: list[str]) -> list[CallPlan]:
    """The assembled calls, from whichever sources are on this machine."""
    found: list[CallPlan] = []
    backs = spokenwoz_backchannels(data) if (data / "spokenwoz_dev").is_dir() else []
    by_voice: dict[str, list[Utterance]] = defaultdict(list)
    for b in backs:
        by_voice[b.voice].append(b)
    back_voices = sorted(by_voice, key=lambda v: -len(by_voice[v]))

    def backs_of(index: int) -> list[Utterance]:
        return list(by_voice[back_voices[index % len(back_voices)]]) if back_voices else []

    other = librispeech_other(mirrors)
    if not other:
        skipped.append(f"LibriSpeech test-other voices (fetch github:resemble-ai/Resemblyzer into {mirrors})")
    speakers = sorted(other)
    if (data / "librispeech_testclean_mini").is_dir() and speakers:
        # customer: LibriSpeech 1089 (transcribed); agent: a test-other voice (no transcript)
        customer = librispeech_mini(data)
        found.append(CallPlan("asm_ls_01", "en", [customer, other[speakers[0]][:6]], [backs_of(0), []],
                              parts=["librispeech test-clean 1089 (customer, transcribed)",
                                     f"librispeech test-other {speakers[0]} (agent, no transcript)",
                                     "spokenwoz back-channels (customer)"], diarisation=False))
    elif not (data / "librispeech_testclean_mini").is_dir():
        skipped.append("librispeech_testclean_mini")
    diane, sheila = pyannote_sample()
    found.append(CallPlan("asm_pyannote_01", "en", [diane, sheila], parts=["pyannote sample.wav, 2 voices, STM text"]))
    for language, index in (("en", 1), ("fr", 2)):
        clips = fleurs(mirrors, language)
        if not clips:
            skipped.append(f"FLEURS {language} (fetch github:sebastian-software/cuttledoc into {mirrors})")
            continue
        if language == "en" and (data / "faster_whisper_tests").is_dir():
            clips += jfk(data)
        agent = other[speakers[index]][:8] if speakers else []
        found.append(CallPlan(f"asm_fleurs_{language}_01", language, [clips, agent], [backs_of(index) if language == "en" else [], []],
                              diarisation=False,
                              parts=[f"FLEURS {language}{' + JFK' if language == 'en' else ''} x{len(clips)} (customer, transcribed, several voices)",
                                     f"librispeech test-other {speakers[index]} (agent, no transcript)" if agent else ""]))
    for n, (a, b) in enumerate(zip(speakers[3::2], speakers[4::2])):
        if n >= 3:
            break
        found.append(CallPlan(f"asm_lsother_{n + 1:02d}", "en", [other[a], other[b]],
                              parts=[f"librispeech test-other {a} (customer)", f"librispeech test-other {b} (agent)"]))
    if (data / "ami_pyannote_debug").is_dir():
        turns, shorts = ami_voices(data)
        ranked = sorted(turns, key=lambda s: -sum(len(u.audio) for u in turns[s]))
        for n, (a, b) in enumerate(zip(ranked[0::2], ranked[1::2])):
            if n >= 2 or min(len(turns[a]), len(turns[b])) < 3:
                break
            order = [list(rng.permutation(len(turns[s]))) for s in (a, b)]
            found.append(CallPlan(f"asm_ami_{n + 1:02d}", "en",
                                  [[turns[a][i] for i in order[0]], [turns[b][i] for i in order[1]]],
                                  [shorts.get(a, [])[:6], shorts.get(b, [])[:6]],
                                  parts=[f"AMI {a} single-speaker stretches (customer)",
                                         f"AMI {b} single-speaker stretches (agent)", "AMI short stretches as back-channels"]))
    else:
        skipped.append("ami_pyannote_debug")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "phone_dev")
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    args = parser.parse_args()
    if not args.data.is_dir():
        args.data = Path("/work/shared/data")
    (args.out / "READY").unlink(missing_ok=True)
    for sub in ("audio", "rttm"):
        shutil.rmtree(args.out / sub, ignore_errors=True)
        (args.out / sub).mkdir(parents=True)
    rng = np.random.default_rng(SEED)
    skipped: list[str] = []
    real = args.data / "spokenwoz_dev"
    items = build_spokenwoz(args.data, args.out) + build_untranscribed(args.data, args.out) if real.is_dir() else []
    if not items:
        skipped.append("spokenwoz_dev")
    for plan in plans(args.data, args.mirrors, rng, skipped):
        items += build_assembled(plan, args.out, rng)
    manifest = {"version": MANIFEST_VERSION, "sample_rate": PHONE_RATE, "skipped_sources": skipped, "items": items}
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    (args.out / "READY").write_text(f"{len(items)} items\n")
    for item in items:
        print(f"{item['id']:32s} {item['duration']:7.1f} s  {','.join(item['tasks'])}")
    print(f"{len(items)} items, {sum(i['duration'] for i in items if i['layout'] == 'mono') / 60:.1f} min per layout;"
          f" skipped: {', '.join(skipped) or 'nothing'}")


if __name__ == "__main__":
    main()
