"""Diarisation error rate (DER) with pyannote.metrics, per file and overall.

DER = (missed detection + false alarm + speaker confusion) / reference speech,
with hypothesis speakers mapped one-to-one onto reference speakers (Hungarian).
`collar` follows pyannote.metrics: it is the TOTAL width removed around each
reference boundary, so md-eval's "-c 0.25" (0.25 s each side) is `collar=0.5`.
`skip_overlap` leaves out regions where several reference speakers talk.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from pyannote.core import Annotation, Segment, Timeline
from pyannote.metrics.diarization import DiarizationErrorRate


@dataclass(frozen=True)
class DerScore:
    """Error components in seconds; `der` is their sum over `total` reference speech."""

    uri: str
    missed: float
    false_alarm: float
    confusion: float
    total: float

    @property
    def der(self) -> float:
        return (self.missed + self.false_alarm + self.confusion) / self.total if self.total else 0.0


def load_rttm(path: Path) -> dict[str, Annotation]:
    """{uri: Annotation} from the SPEAKER lines of an RTTM file."""
    annotations: dict[str, Annotation] = defaultdict(Annotation)
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[0] == "SPEAKER":
            uri, start, duration, speaker = fields[1], float(fields[3]), float(fields[4]), fields[7]
            annotation = annotations[uri]
            annotation.uri = uri
            annotation[Segment(start, start + duration), len(annotation)] = speaker
    return dict(annotations)


def load_uem(path: Path) -> dict[str, Timeline]:
    """{uri: Timeline} of scored regions from a UEM file (uri channel start end)."""
    timelines: dict[str, Timeline] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) >= 4:
            uri = fields[0]
            timelines.setdefault(uri, Timeline(uri=uri)).add(Segment(float(fields[2]), float(fields[3])))
    return timelines


def score(references: dict[str, Annotation], hypotheses: dict[str, Annotation],
          uems: dict[str, Timeline] | None = None, collar: float = 0.0,
          skip_overlap: bool = False) -> tuple[list[DerScore], DerScore]:
    """Per-file scores (one per reference uri; a missing hypothesis counts as silence) and
    the overall score, whose components are summed over files."""
    metric = DiarizationErrorRate(collar=collar, skip_overlap=skip_overlap)
    per_file = []
    for uri, reference in references.items():
        hypothesis = hypotheses.get(uri, Annotation(uri=uri))
        uem = (uems or {}).get(uri)
        parts = metric(reference, hypothesis, uem=uem, detailed=True)
        per_file.append(DerScore(uri, parts["missed detection"], parts["false alarm"],
                                 parts["confusion"], parts["total"]))
    overall = DerScore("TOTAL", *(sum(getattr(s, name) for s in per_file)
                                  for name in ("missed", "false_alarm", "confusion", "total")))
    return per_file, overall
