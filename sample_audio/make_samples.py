"""Generate callscope's sample calls from dialogues.yaml.

Run from the repository root:

    python sample_audio/make_samples.py

Needs the `espeak-ng` binary (Debian: `apt-get install espeak-ng`) and the Python
packages numpy, PyYAML and av (PyAV). No network access is used.

For every call it writes `<id>.<ext>` (audio) and `<id>.json` (ground truth) next to
this script, plus `refs.tsv` (audio path, full reference transcript). Pauses and
background noise come from a per-call fixed seed and encoders run in bit-exact mode,
so repeated runs produce byte-identical files.
"""

import io
import json
import subprocess
import wave
import zlib
from pathlib import Path

import av
import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
LEAD_IN, TAIL = 0.4, 0.6  # seconds of room tone before the first / after the last turn
PEAK = 10 ** (-6 / 20)  # every turn is normalised to -6 dBFS peak
NOISE_DBFS = -55
TELEPHONE_BAND = (300, 3400)  # Hz, applied to the speech of 8 kHz calls
BITEXACT = {"flags": "+bitexact"}
CODECS = {  # container extension -> (PyAV codec, sample format, codec options)
    "wav": ("pcm_s16le", "s16", BITEXACT),
    "flac": ("flac", "s16", BITEXACT),
    "mp3": ("libmp3lame", "fltp", {**BITEXACT, "b": "32k"}),
    # PyAV wheels ship FFmpeg's native (experimental) Vorbis encoder, not libvorbis; q=2.
    "ogg": ("vorbis", "fltp", {"flags": "+bitexact+qscale", "global_quality": str(2 * 118),
                               "strict": "experimental"}),
}


def synthesize(text, voice):
    """Speak `text` with espeak-ng; return (float32 mono samples, sample rate)."""
    cmd = ["espeak-ng", "--stdout", "-v", voice["voice"],
           "-p", str(voice["pitch"]), "-s", str(voice["speed"]), text]
    wav = subprocess.run(cmd, capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(wav)) as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    return pcm.astype(np.float32) / 32768, rate


def trim(x, rate, rel_db=-35, fade=0.005):
    """Cut leading/trailing 10 ms frames quieter than `rel_db` below the loudest frame."""
    n = rate // 100
    rms = np.sqrt(np.mean(x[:len(x) // n * n].reshape(-1, n) ** 2, axis=1))
    loud = np.flatnonzero(rms > rms.max() * 10 ** (rel_db / 20))
    x = x[loud[0] * n:(loud[-1] + 1) * n].copy()
    ramp = np.linspace(0, 1, int(fade * rate))
    x[:len(ramp)] *= ramp
    x[-len(ramp):] *= ramp[::-1]
    return x


def resample(x, src_rate, dst_rate):
    """Resample mono float32 audio with libswresample (via PyAV)."""
    frame = av.AudioFrame.from_ndarray(x[None, :], format="flt", layout="mono")
    frame.sample_rate = src_rate
    resampler = av.AudioResampler(format="flt", layout="mono", rate=dst_rate)
    frames = resampler.resample(frame) + resampler.resample(None)
    return np.concatenate([f.to_ndarray()[0] for f in frames])


def speak(text, voice, rate):
    """Synthesise one turn at `rate` (telephone band at 8 kHz), trimmed, normalised to PEAK."""
    x, tts_rate = synthesize(text, voice)
    x = resample(x, tts_rate, rate)
    if rate == 8000:
        x = bandpass(x, rate)
    x = trim(x, rate)
    return x * (PEAK / np.abs(x).max())


def ring(rate):
    """One UK ringback cadence (400+450 Hz, 0.4 s on, 0.2 s off, 0.4 s on) at -20 dBFS."""
    t = np.arange(int(0.4 * rate)) / rate
    burst = 0.05 * (np.sin(2 * np.pi * 400 * t) + np.sin(2 * np.pi * 450 * t))
    return np.concatenate([burst, np.zeros(int(0.2 * rate)), burst])


def bandpass(x, rate, band=TELEPHONE_BAND):
    """Brick-wall FFT band-pass of a 1-D signal, zero-padded so ringing does not wrap around."""
    n = len(x) + rate // 2
    spectrum = np.fft.rfft(x, n)
    freqs = np.fft.rfftfreq(n, 1 / rate)
    spectrum[(freqs < band[0]) | (freqs > band[1])] = 0
    return np.fft.irfft(spectrum, n)[:len(x)]


def place(call, rate, rng):
    """Lay the turns out in time; return (agent track, customer track, turns, events)."""
    clips, events, cursor = [], [], round(LEAD_IN * rate)
    if call.get("ring"):
        tone = ring(rate)
        events.append({"type": "ring", "start": round(cursor / rate, 3),
                       "end": round((cursor + len(tone)) / rate, 3)})
        clips.append(("ring", cursor, tone))
        cursor += len(tone) + rate
    turns = []
    for i, turn in enumerate(call["turns"]):
        speaker = "A" if "A" in turn else "B"
        role, text = ("agent" if speaker == "A" else "customer"), turn[speaker]
        if i:
            cursor += round(turn.get("gap", rng.uniform(0.3, 1.2)) * rate)
        clip = speak(text, call["voices"][role], rate)
        clips.append((role, cursor, clip))
        turns.append({"speaker": speaker, "role": role, "start": round(cursor / rate, 3),
                      "end": round((cursor + len(clip)) / rate, 3), "text": text})
        cursor += len(clip)
    length = max(start + len(clip) for _, start, clip in clips) + round(TAIL * rate)
    tracks = {"agent": np.zeros(length), "customer": np.zeros(length)}
    for role, start, clip in clips:  # the ringback tone goes on the agent side
        tracks["agent" if role == "ring" else role][start:start + len(clip)] += clip
    return tracks["agent"], tracks["customer"], turns, events


def mix(agent, customer, call, rate, rng):
    """Build the channel matrix: mono sum or agent-left/customer-right with optional bleed."""
    if call["channels"] == 1:
        channels = [agent + customer]
    else:
        bleed = 10 ** (call["bleed_db"] / 20) if call.get("bleed_db") else 0.0
        channels = [agent + bleed * customer, customer + bleed * agent]
    noise = rng.normal(0, 10 ** (NOISE_DBFS / 20), (len(channels), len(agent)))
    return np.array(channels) + noise


def encode(path, audio, rate, fmt):
    """Encode (channels, samples) float audio with PyAV in bit-exact mode."""
    codec, sample_fmt, options = CODECS[fmt]
    layout = "mono" if len(audio) == 1 else "stereo"
    pcm = np.clip(np.round(audio * 32768), -32768, 32767).astype(np.int16)
    if sample_fmt == "s16":
        frame = av.AudioFrame.from_ndarray(pcm.T.reshape(1, -1), format="s16", layout=layout)
    else:
        frame = av.AudioFrame.from_ndarray(pcm.astype(np.float32) / 32768, format="fltp",
                                           layout=layout)
    frame.sample_rate = rate
    with av.open(str(path), "w", options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream(codec, rate=rate, layout=layout, options=options)
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def pii_spans(call, turns):
    """Attach the indices of the turns in which each PII string is spoken."""
    spans = []
    for item in call.get("pii", []):
        text = item["text"].lower()
        hits = [i for i, t in enumerate(turns) if text in t["text"].lower()]
        assert hits, f"{call['id']}: PII text not found: {item['text']!r}"
        spans.append({**item, "turns": hits})
    return spans


def build(call):
    """Render one call to audio + ground-truth JSON; return its refs.tsv row."""
    rate, fmt = call["sample_rate"], call["format"]
    rng = np.random.default_rng(zlib.crc32(call["id"].encode()))
    agent, customer, turns, events = place(call, rate, rng)
    audio_name = f"{call['id']}.{fmt}"
    encode(HERE / audio_name, mix(agent, customer, call, rate, rng), rate, fmt)
    stereo = call["channels"] == 2
    truth = {
        "id": call["id"], "audio": audio_name, "language": call["language"],
        "channels": call["channels"], "sample_rate": rate,
        "duration": round(len(agent) / rate, 3),
        "channel_roles": {"0": "agent", "1": "customer"} if stereo else None,
        "bleed_db": call.get("bleed_db"),
        **{k: call[k] for k in ("reason", "family", "sales_opportunity",
                                "sentiment", "signals", "aspects")},
        "voices": call["voices"], "events": events, "pii": pii_spans(call, turns),
        "turns": turns,
    }
    (HERE / f"{call['id']}.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n")
    return f"{audio_name}\t{' '.join(t['text'] for t in turns)}"


def main():
    calls = yaml.safe_load((HERE / "dialogues.yaml").read_text())["calls"]
    rows = []
    for call in calls:
        rows.append(build(call))
        print(f"wrote {call['id']}.{call['format']}")
    (HERE / "refs.tsv").write_text("audio\ttext\n" + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
