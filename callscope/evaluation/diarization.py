"""`callscope eval diarization`: diarise a folder of recordings and score it against reference RTTM."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from pyannote.core import Annotation, Segment

from callscope.config import Settings
from callscope.errors import CallscopeError
from callscope.evaluation.der import DerScore, load_rttm, load_uem, score
from callscope.pipeline.audio import load_audio


def _find_audio(folder: Path, uri: str, extensions: list[str]) -> Path:
    for extension in extensions:
        candidate = folder / f"{uri}{extension}"
        if candidate.is_file():
            return candidate
    raise CallscopeError(f"{folder}: no audio file for RTTM uri '{uri}' (looked for {uri}.wav, .flac, ...)")


def _as_dict(s: DerScore) -> dict:
    return {"uri": s.uri, "der": s.der, "missed": s.missed, "false_alarm": s.false_alarm,
            "confusion": s.confusion, "total": s.total}


def evaluate_folder(audio_dir: Path, rttm: Path, uem: Path | None, collar: float, skip_overlap: bool,
                    settings: Settings, on_file: Callable[[int], None] = lambda total: None) -> dict:
    """DER per file and overall; every reference uri needs `<uri>.<ext>` in `audio_dir`."""
    from callscope.pipeline.diarise import Diariser

    for path in (rttm, uem):
        if path is not None and not path.is_file():
            raise CallscopeError(f"{path}: file not found")
    references = load_rttm(rttm)
    if not references:
        raise CallscopeError(f"{rttm}: no SPEAKER lines")
    uems = load_uem(uem) if uem else None
    diariser = Diariser(settings.diarisation)
    count = settings.speakers
    hypotheses = {}
    for uri in references:
        decoded = load_audio(_find_audio(audio_dir, uri, settings.audio.extensions), "")
        mono = sum(decoded.tracks) / len(decoded.tracks)
        result = diariser.diarise(mono, num_speakers=count.num_speakers, min_speakers=count.min_speakers,
                                  max_speakers=count.max_speakers)
        annotation = Annotation(uri=uri)
        for i, turn in enumerate(result.turns):
            annotation[Segment(turn.start, turn.end), i] = turn.speaker
        hypotheses[uri] = annotation
        on_file(len(references))
    per_file, overall = score(references, hypotheses, uems, collar, skip_overlap)
    return {"der": overall.der, "overall": _as_dict(overall), "files": [_as_dict(s) for s in per_file],
            "collar": collar, "skip_overlap": skip_overlap}
