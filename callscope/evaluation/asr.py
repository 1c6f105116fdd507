"""ASR accuracy: word error rate of the pipeline's transcripts against references.

References come from a TSV with columns `audio` (absolute, or relative to the
TSV) and `text`. Both sides are normalised the same way (nlp/normalise.py): lower
case, no punctuation, single spaces.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import jiwer

from callscope.errors import CallscopeError
from callscope.nlp.normalise import normalise


@dataclass(frozen=True)
class Reference:
    """One audio file and its reference transcript."""

    audio: Path
    text: str


def read_refs(path: Path) -> list[Reference]:
    """Rows of a references TSV; a missing column or file is a one-line error."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
    except FileNotFoundError:
        raise CallscopeError(f"{path}: references file not found") from None
    if not rows or not {"audio", "text"} <= set(rows[0]):
        raise CallscopeError(f"{path}: expected a TSV with a header holding the columns 'audio' and 'text'")
    refs = []
    for number, row in enumerate(rows, start=2):
        audio = Path(row["audio"] or "")
        audio = audio if audio.is_absolute() else path.parent / audio
        if not audio.is_file():
            raise CallscopeError(f"{path}: line {number}: audio file {audio} not found")
        refs.append(Reference(audio, row["text"] or ""))
    return refs


def word_error_rate(references: list[str], hypotheses: list[str]) -> dict:
    """Corpus WER and its parts over normalised texts."""
    refs = [normalise(t) for t in references]
    hyps = [normalise(t) for t in hypotheses]
    scored = [(r, h) for r, h in zip(refs, hyps) if r]
    if not scored:
        raise CallscopeError("every reference is empty: nothing to score")
    result = jiwer.process_words([r for r, _ in scored], [h for _, h in scored])
    return {
        "wer": result.wer,
        "substitutions": result.substitutions,
        "deletions": result.deletions,
        "insertions": result.insertions,
        "reference_words": sum(len(r.split()) for r, _ in scored),
    }


def evaluate(refs: list[Reference], transcribe: Callable[[Path], str], on_file: Callable[[], None] = lambda: None) -> dict:
    """Transcribe every reference's audio and score the lot; per-file figures included."""
    files = []
    for ref in refs:
        hypothesis = transcribe(ref.audio)
        per_file = word_error_rate([ref.text], [hypothesis]) if normalise(ref.text) else {"wer": None}
        files.append({"audio": str(ref.audio), "wer": per_file["wer"], "hypothesis": hypothesis})
        on_file()
    overall = word_error_rate([r.text for r in refs], [f["hypothesis"] for f in files])
    return {**overall, "n_files": len(files), "files": files}
