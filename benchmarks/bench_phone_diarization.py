"""Benchmark mono diarisation of real two-party phone calls: callscope against plain pyannote, one run.

Calls: the mono calls of the development set of real speech in phone conditions built by
benchmarks/phone_devset.py (--devset, default ../phone_dev; never copied into the project) that can score
diarisation: the 4 real two-party SpokenWOZ phone calls mixed to mono, the held-out SpokenWOZ call
MUL1011 (no transcript; reported apart, left out of the means) and the two-party calls assembled from
real recorded speakers through a G.711 telephone line. Reference speech: each party's turns (a speaker's
words less than 0.5 s apart joined; utterances as placed) where that party's own channel is active
(docs/real_speech.md); DER is also given against the turns with their pauses (`_spans`), the
reference used before 2026-12-03. Each row also has the error parts against the reference speech
(`*_miss_fa_conf`: missed, false alarm, confusion, seconds).

Systems, all with the same weights (segmentation-3.0 + CAM++):
- plain pyannote: `SpeakerDiarization` with pyannote's speaker-diarization-3.1 parameters (centroid
  linkage, threshold 0.7046, min_cluster_size 12, min_duration_off 0, embeddings without overlap) and
  no callscope step after it;
- callscope: `CallProcessor.process`, the path `callscope run` takes on a mono call (ASR, diarisation,
  second-voice check, two-party prior, one voice split by words, roles), enrichment off;
- callscope "before": --config-before YAML (a settings file, e.g. an earlier commit's default.yaml, for
  its role cues) and --before KEY=VALUE... (DiarisationSettings overrides; default two_party=false, the
  settings before the two-party prior) and, for information, callscope with num_speakers=2 (an oracle
  speaker count).
Metrics: DER with collar 0.25 (callscope.evaluation.der, pyannote.metrics' convention), overlap scored;
for callscope, the share of ASR words whose speaker's role is the reference speaker's (turns with their
pauses: the words' own labels) at the word's middle (words outside every reference turn take the nearest one), averaged over the real dialogues only
(the assembled calls are read books: their words cannot say who is the agent).
ASR transcripts are cached in --work (default: a temporary folder), so the callscope variants hear the same words.
--stereo also scores the roles of the real calls' stereo files, callscope with each call's channel map
(on stereo, roles come from `roles.channels`); --diarisation KEY=VALUE changes callscope's diarisation
settings in every variant (e.g. embedding_max_seconds=3), plain pyannote keeps its own.

    python benchmarks/bench_phone_diarization.py [--devset /work/phone_dev] [--json out.json]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import pickle
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import torch
from pyannote.core import Annotation, Segment

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_diarization import overrides  # noqa: E402

from callscope.config import load_settings  # noqa: E402
from callscope.evaluation.der import DerScore, load_rttm, score  # noqa: E402
from callscope.pipeline.audio import load_audio  # noqa: E402
from callscope.pipeline.diarise import DiarisationSettings, Diariser  # noqa: E402
from callscope.pipeline.ingest import InputFile  # noqa: E402
from callscope.pipeline.process import CallProcessor  # noqa: E402
from callscope.pipeline.transcribe import Transcriber  # noqa: E402

COLLAR = 0.25
DIALOGUE_SOURCES = {"spokenwoz"}  # real conversations; assembled calls are read speech, their words say no role
PARTY_WORDS = 0.1    # one-party check: a speaker with this share of the words counts as a party
PLAIN_PYANNOTE = {"threshold": 0.7045654963945799, "min_cluster_size": 12, "method": "centroid",
                  "min_duration_off": 0.0, "exclude_overlap": True, "embedding_max_seconds": 0.0,
                  "second_voice": False}


@dataclass
class Call:
    """A mono call with its reference speech and its turns with pauses (labels are roles: agent, customer)."""

    uri: str
    audio: Path
    reference: Annotation
    spans: Annotation
    source: str
    held_out: bool = False


def devset_calls(folder: Path) -> list[Call]:
    """The mono calls of the phone development set that can score diarisation (manifest version 1 of
    benchmarks/phone_devset.py), reference labels renamed to roles."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    calls = []
    for item in manifest["items"]:
        if item["layout"] != "mono" or "diarisation" not in item["tasks"]:
            continue
        references = []
        for rttm in (item["rttm"], item.get("rttm_spans", item["rttm"])):
            renamed = load_rttm(folder / rttm)[item["call"]].rename_labels(item["speakers"])
            renamed.uri = item["id"]
            references.append(renamed)
        calls.append(Call(item["id"], folder / item["path"], *references, item["source"], item.get("held_out", False)))
    return calls


def stereo_dialogues(folder: Path) -> list[tuple[Call, dict[int, str]]]:
    """The real two-party calls' stereo items, each with its channel map (channel -> role) and its
    reference speech and word turns (labels are roles), as for the mono calls."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    mono = {call.uri.removesuffix("_mono"): call for call in devset_calls(folder)}
    found = []
    for item in manifest["items"]:
        if item["layout"] == "stereo" and item["source"] in DIALOGUE_SOURCES and item["call"] in mono:
            twin = mono[item["call"]]
            call = Call(item["id"], folder / item["path"], twin.reference, twin.spans, item["source"], twin.held_out)
            found.append((call, {i: item["speakers"][label] for i, label in enumerate(item["channels"])}))
    return found


def stereo_roles(transcriber, diariser: Diariser, folder: Path, only: list[str] | None) -> list[dict]:
    """Share of the words of each real stereo call whose speaker has the reference role, callscope with
    the call's channel map (roles on stereo come from `roles.channels`, not from the words)."""
    rows = []
    for call, channels in stereo_dialogues(folder):
        if only and call.uri not in only:
            continue
        processor = callscope_processor(transcriber, diariser, {})
        processor.settings.roles.channels = channels
        conversation = processor.process(InputFile(call.audio, call.uri), sha256="")
        accuracy, words = role_accuracy(conversation, call.spans)
        rows.append({"call": call.uri, "held_out": call.held_out, "roles": round(100 * accuracy, 1), "words": words})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def one_party_recordings(folder: Path, work: Path) -> list[tuple[str, Path]]:
    """Each channel of the development set's real stereo calls recorded without bleed (one party
    each: a stand-in for a voicemail or one leg of a call), written to `work` as a mono file."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    recordings = []
    for item in manifest["items"]:
        if item["layout"] != "stereo" or item["source"] != "spokenwoz" or item.get("bleed"):
            continue
        stereo, rate = soundfile.read(folder / item["path"], dtype="float32")
        for channel, label in enumerate(item["channels"]):
            path = work / f"{item['call']}_{item['speakers'][label]}.wav"
            soundfile.write(path, stereo[:, channel], rate, subtype="PCM_16")
            recordings.append((path.stem, path))
    return recordings


class CachedTranscriber:
    """A Transcriber whose results are kept (by samples, track and language) in a pickle file,
    so the callscope variants of one run, and later runs, hear the same words."""

    def __init__(self, transcriber, path: Path):
        self.transcriber, self.path = transcriber, path
        self.memo = pickle.loads(path.read_bytes()) if path.exists() else {}

    def _cached(self, key: tuple, compute):
        if key not in self.memo:
            self.memo[key] = compute()
            self.path.write_bytes(pickle.dumps(self.memo))
        return copy.deepcopy(self.memo[key])

    @staticmethod
    def _digest(samples: np.ndarray) -> str:
        return hashlib.sha1(np.ascontiguousarray(samples).tobytes()).hexdigest()

    def transcribe(self, samples, track, one_party=False):
        batched = self.transcriber.settings.batch_size if one_party else 0   # stereo channels decode batched
        return self._cached(("vad", self._digest(samples), track) + ((("batched", batched),) if batched else ()),
                            lambda: self.transcriber.transcribe(samples, track, one_party))

    def transcribe_without_vad(self, samples, track, language):
        # temperature 0 only, tokens capped and loops dropped (transcribe.new_tokens, transcribe.sure)
        return self._cached(("novad-t0-capped", self._digest(samples), track, language),
                            lambda: self.transcriber.transcribe_without_vad(samples, track, language))


class FrontEndCache(Diariser):
    """A Diariser that keeps each waveform's segmentation and embeddings (by content), so the
    callscope variants diarise a call once and only cluster it again."""

    def __init__(self, settings: DiarisationSettings):
        super().__init__(settings)
        self.files: dict[str, dict] = {}

    def _file(self, samples) -> dict:
        digest = hashlib.sha1(samples.numpy().tobytes()).hexdigest()
        return self.files.setdefault(digest, super()._file(samples))


class Variant:
    """The shared Diariser seen with one variant's settings (what CallProcessor calls)."""

    def __init__(self, diariser: Diariser, settings: DiarisationSettings):
        self.diariser, self.settings = diariser, settings

    def diarise(self, waveform, **bounds):
        self.diariser.settings = self.settings
        return self.diariser.diarise(waveform, **bounds)


def annotation(turns, uri: str) -> Annotation:
    found = Annotation(uri=uri)
    for i, turn in enumerate(turns):
        found[Segment(turn.start, turn.end), i] = turn.speaker
    return found


def role_accuracy(conversation, reference: Annotation) -> tuple[float, int]:
    """Share of the conversation's words whose speaker's role is the reference role at the word's middle."""
    roles = {s.id: s.role for s in conversation.speakers}
    turns = [(segment.start, segment.end, label) for segment, _, label in reference.itertracks(yield_label=True)]
    right = total = 0
    for word in (w for s in conversation.segments for w in s.words):
        middle = (word.start + word.end) / 2
        inside = [label for a, b, label in turns if a <= middle <= b]
        truth = inside[0] if len(inside) == 1 else (
            None if inside else min(turns, key=lambda t: min(abs(t[0] - middle), abs(t[1] - middle)))[2])
        if truth is None:  # overlap: either role is right
            truth = roles.get(word.speaker)
        total += 1
        right += roles.get(word.speaker) == truth
    return (right / total if total else 0.0), total


def mean(values: list[float], digits: int = 2) -> float | None:
    """The mean, rounded; None for no values (e.g. only held-out calls were run)."""
    return round(float(np.mean(values)), digits) if values else None


def der_of(reference: Annotation, hypothesis: Annotation) -> DerScore:
    _, overall = score({reference.uri: reference}, {reference.uri: hypothesis}, collar=COLLAR)
    return overall


def der_fields(name: str, reference: Annotation, spans: Annotation, hypothesis: Annotation) -> dict:
    """DER (%) against the reference speech and against the spans, and the reference's error parts
    (missed, false alarm, confusion; seconds)."""
    found = der_of(reference, hypothesis)
    return {f"{name}_der": round(100 * found.der, 2), f"{name}_der_spans": round(100 * der_of(spans, hypothesis).der, 2),
            f"{name}_miss_fa_conf": [round(found.missed, 1), round(found.false_alarm, 1), round(found.confusion, 1)]}


def callscope_processor(transcriber: CachedTranscriber, diariser: Diariser, diarisation: dict,
                        num_speakers: int | None = None, config: Path | None = None) -> CallProcessor:
    """`callscope run`'s processor (enrichment off) with the shared transcriber and diariser; `diarisation`
    overrides settings that act after pyannote's pipeline (second_voice, two_party); `config`: a settings
    file over the defaults."""
    settings = load_settings(config)
    settings.enrich.enabled = False
    settings.output.redact = False
    settings.speakers.num_speakers = num_speakers
    settings.diarisation = DiarisationSettings(**{**settings.diarisation.model_dump(), **diarisation})
    processor = CallProcessor(settings)
    processor.transcriber = transcriber
    processor._diarisers.add(Variant(diariser, settings.diarisation))   # one job: always lent this one
    return processor


def one_party_check(variants: dict[str, CallProcessor], recordings: list[tuple[str, Path]]) -> list[dict]:
    """Parties (speakers with PARTY_WORDS of the words) each callscope variant finds in one-party
    recordings (1 is right)."""
    rows = []
    for name, path in recordings:
        row = {"recording": name}
        for variant, processor in variants.items():
            if variant == "oracle2":
                continue
            conversation = processor.process(InputFile(path, name), sha256="")
            speakers = [w.speaker for s in conversation.segments for w in s.words]
            row[f"{variant}_speakers"] = sum(speakers.count(s) >= PARTY_WORDS * len(speakers) for s in set(speakers))
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"one-party recordings: {len(rows)}; split in two: "
          + ", ".join(f"{v} {sum(r[f'{v}_speakers'] > 1 for r in rows)}" for v in variants if v != "oracle2"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devset", type=Path, default=ROOT.parent / "phone_dev")
    parser.add_argument("--work", type=Path, help="folder for the ASR cache (default: a temporary one)")
    parser.add_argument("--before", nargs="*", default=["two_party=false"], metavar="KEY=VALUE",
                        help="DiarisationSettings of callscope before the two-party prior (only those acting after "
                             "pyannote's pipeline: the variants share its segmentation and embeddings)")
    parser.add_argument("--config-before", type=Path, metavar="YAML",
                        help="settings file of callscope before (e.g. an earlier commit's callscope/configs/"
                             "default.yaml, for its role cues); --before applies on top")
    parser.add_argument("--one-party", action="store_true",
                        help="also run callscope on each channel of the real stereo calls alone (one party each)")
    parser.add_argument("--skip-oracle", action="store_true", help="do not run callscope with num_speakers=2")
    parser.add_argument("--skip-before", action="store_true", help="do not run callscope before")
    parser.add_argument("--skip-plain", action="store_true", help="do not run plain pyannote")
    parser.add_argument("--diarisation", nargs="*", default=[], metavar="KEY=VALUE",
                        help="DiarisationSettings of callscope (every variant, e.g. embedding_max_seconds=3); "
                             "plain pyannote keeps its own")
    parser.add_argument("--stereo", action="store_true",
                        help="also score the roles of the real stereo calls (channel map from the manifest)")
    parser.add_argument("--only", nargs="*", help="only these call ids")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="callscope-phone-diar-"))
    work.mkdir(parents=True, exist_ok=True)
    if not (args.devset / "READY").exists():
        sys.exit(f"{args.devset}/READY not found: build the set with benchmarks/phone_devset.py")
    calls = [c for c in devset_calls(args.devset) if not args.only or c.uri in args.only]

    plain = None if args.skip_plain else Diariser(DiarisationSettings(**PLAIN_PYANNOTE))
    chosen = overrides(args.diarisation)
    shared = FrontEndCache(DiarisationSettings(**{**load_settings().diarisation.model_dump(), **chosen}))
    transcriber = CachedTranscriber(Transcriber(load_settings().asr), work / "asr_cache.pkl")
    variants = {"callscope": callscope_processor(transcriber, shared, chosen)}
    if not args.skip_before:
        variants["before"] = callscope_processor(transcriber, shared, {**chosen, **overrides(args.before)},
                                                 config=args.config_before)
    if not args.skip_oracle:
        variants["oracle2"] = callscope_processor(transcriber, shared, {}, num_speakers=2)
    rows = []
    for call in calls:
        started = time.perf_counter()
        waveform = load_audio(call.audio, sha256="").tracks[0]
        row = {"call": call.uri, "source": call.source, "held_out": call.held_out,
               "seconds": round(len(waveform) / 16000, 1)}
        if not args.skip_plain:
            output = plain.pipeline({"waveform": torch.from_numpy(waveform)[None],
                                     "sample_rate": 16000, "uri": call.uri}).speaker_diarization
            row |= der_fields("plain", call.reference, call.spans, output)
            row["plain_speakers"] = len(output.labels())
        for name, processor in variants.items():
            conversation = processor.process(InputFile(call.audio, call.uri), sha256="")
            accuracy, words = role_accuracy(conversation, call.spans)
            found = annotation(conversation.turns, call.uri)
            row |= der_fields(name, call.reference, call.spans, found)
            row[f"{name}_roles"] = round(100 * accuracy, 1)
            row[f"{name}_speakers"] = len(conversation.speakers)
            row["words"] = words
        rows.append(row)
        print(json.dumps(row), f"({time.perf_counter() - started:.0f} s)", flush=True)

    print(f"\n| call | source | plain pyannote DER | callscope before DER / roles | callscope DER / roles "
          f"| num_speakers=2 DER / roles |\n|---|---|---|---|---|---|")
    for row in rows:
        before, oracle = ("-" if f"{name}_der" not in row else f"{row[f'{name}_der']:.1f}% / {row[f'{name}_roles']:.0f}%"
                          for name in ("before", "oracle2"))
        plain_der = "-" if args.skip_plain else (f"{row['plain_der']:.1f}% ({row['plain_speakers']} spk; "
                                                 f"spans {row['plain_der_spans']:.1f}%)")
        print(f"| {row['call']} | {row['source']}{' (held out)' * row['held_out']} | {plain_der} | {before} "
              f"| {row['callscope_der']:.1f}% / {row['callscope_roles']:.0f}% (spans {row['callscope_der_spans']:.1f}%) "
              f"| {oracle} |")
    held_out = [r for r in rows if r["held_out"]]
    systems = [*variants] if args.skip_plain else ["plain", *variants]
    rows = [r for r in rows if not r["held_out"]]   # means: the calls the settings were chosen on
    dialogues = [r for r in rows if r["source"] in DIALOGUE_SOURCES] or rows
    summary = {f"{name}{kind}": mean([r[f"{name}_der{kind}"] for r in rows])
               for kind in ("", "_spans") for name in systems}
    real = {f"{name}{kind}": mean([r[f"{name}_der{kind}"] for r in dialogues])
            for kind in ("", "_spans") for name in systems}
    roles = {name: mean([r[f"{name}_roles"] for r in dialogues], 1) for name in variants}
    print(f"mean DER (collar {COLLAR}): {summary}; {len(rows)} calls; on the {len(dialogues)} real dialogues: "
          f"{real}, mean share of words with the right role: {roles}")
    report = {"calls": rows, "held_out": held_out, "mean_der": summary, "mean_der_real": real, "mean_roles": roles}
    if args.stereo:
        report["stereo_roles"] = stereo_roles(transcriber, shared, args.devset, args.only)
    if args.one_party:
        report["one_party"] = one_party_check(variants, one_party_recordings(args.devset, work))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
