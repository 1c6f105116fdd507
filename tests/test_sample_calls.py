"""The whole pipeline on every bundled sample call (what `make run` does): roles, enrichment, redaction, outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callscope.pipeline.one_voice import EVIDENCE
from tests.conftest import sample_calls

pytestmark = pytest.mark.slow     # every sample call through the default models (the `sample_run` fixture)


def overlap(a_start: float, a_end: float, b_start: float, b_end: float) -> float:
    return max(0.0, min(a_end, b_end) - max(a_start, b_start))


def speaker_truth(conversation: dict, turns: list[dict]) -> dict[str, str]:
    """For each found speaker, the true role it overlaps most (by utterance time)."""
    votes: dict[str, dict[str, float]] = {}
    for utterance in conversation["utterances"]:
        for turn in turns:
            shared = overlap(utterance["start"], utterance["end"], turn["start"], turn["end"])
            tally = votes.setdefault(utterance["speaker"], {})
            tally[turn["role"]] = tally.get(turn["role"], 0.0) + shared
    return {speaker: max(tally, key=tally.get) for speaker, tally in votes.items() if sum(tally.values()) > 2}


@pytest.mark.parametrize("truth", sample_calls(), ids=lambda t: t["id"])
def test_every_sample_call_gets_the_right_roles(sample_run, truth):
    conversation = json.loads((sample_run / f"{truth['id']}.json").read_text())
    expected = speaker_truth(conversation, truth["turns"])
    assert set(expected.values()) == {"agent", "customer"}, "both parties must be found"
    found = {s["id"]: s["role"] for s in conversation["speakers"]}
    assert {speaker: found[speaker] for speaker in expected} == expected
    assert (sample_run / f"{truth['id']}.rttm").read_text().count("SPEAKER") >= 2


@pytest.mark.parametrize("call_id", ["refund_request", "password_reset"])
def test_one_voice_calls_are_split_by_their_words(sample_run, call_id):
    """These two espeak voice pairs are one voice to the diarisation models (docs/diarization.md):
    the sentences' words decide, and most words end up with the right party."""
    conversation = json.loads((sample_run / f"{call_id}.json").read_text())
    assert EVIDENCE in conversation["warnings"]
    turns = next(t for t in sample_calls() if t["id"] == call_id)["turns"]
    role_of = {s["id"]: s["role"] for s in conversation["speakers"]}
    words = [w for u in conversation["utterances"] for w in u["words"]]
    nearest = [min(turns, key=lambda t: max(t["start"] - (w["start"] + w["end"]) / 2,
                                            (w["start"] + w["end"]) / 2 - t["end"], 0.0)) for w in words]
    right = sum(role_of[w["speaker"]] == turn["role"] for w, turn in zip(words, nearest))
    assert right / len(words) >= 0.85


def test_card_numbers_and_emails_never_reach_the_outputs(sample_run):
    outputs = "".join(p.read_text() for p in sample_run.glob("card_payment.*"))
    assert "[CARD]" in outputs or "[DIGITS]" in outputs
    digits = "".join(ch for ch in outputs if ch.isdigit() or ch == "\n")
    assert "4556" not in digits and "7375" not in digits and "9855" not in digits


def test_stereo_overlap_is_recorded_as_overtalk(sample_run):
    conversation = json.loads((sample_run / "cancel_threat.json").read_text())
    assert conversation["source"]["layout"] == "stereo"
    assert conversation["overtalk"] and all(o["end"] > o["start"] for o in conversation["overtalk"])


def test_french_call_is_french(sample_run):
    assert json.loads((sample_run / "french_delivery.json").read_text())["language"] == "fr"


# Sample calls whose ground truth the pipeline does not reach, and why: Whisper base on the robotic espeak
# voices (docs/metrics.md).
KNOWN_MISSES = {
    ("cancel_threat", "signals"): "Whisper hears 'I've already called twice' as 'I'm already cold, white "
                                  "amoutness': the repeat contact is lost",
    ("french_delivery", "sentiment"): "Whisper's temperature fallback samples this call's words (now the same "
                                      "in any run order); they score -0.09 overall, just inside neutral (-0.1): "
                                      "'agaçant' (annoying) comes out as 'intéressant'",
}


def cases(check: str) -> list:
    """One case per sample call; the known misses are expected failures, with their cause."""
    return [pytest.param(t, marks=pytest.mark.xfail(reason=KNOWN_MISSES[t["id"], check], strict=True)
                         if (t["id"], check) in KNOWN_MISSES else (), id=t["id"]) for t in sample_calls()]


def analysis_of(sample_run: Path, call_id: str) -> dict:
    conversation = json.loads((sample_run / f"{call_id}.json").read_text())
    assert "enrich" in conversation["processing"]["seconds"]
    return conversation["analysis"]


@pytest.mark.parametrize("truth", cases("reason"))
def test_every_sample_call_gets_its_reason_and_family(sample_run, truth):
    reason = analysis_of(sample_run, truth["id"])["reason"]
    assert ((reason["reason"], reason["family"], reason["sales_opportunity"])
            == (truth["reason"], truth["family"], truth["sales_opportunity"]))


@pytest.mark.parametrize("truth", cases("sentiment"))
def test_every_sample_call_gets_its_overall_sentiment_direction(sample_run, truth):
    """Direction: whether the customer's overall sentiment is negative or not (docs/metrics.md). The
    ground truth's positive/neutral split hinges on politeness ("Thanks" ends neutral calls too)."""
    found = analysis_of(sample_run, truth["id"])["sentiment"]
    assert (found == "negative") == (truth["sentiment"]["overall"] == "negative"), found


@pytest.mark.parametrize("truth", cases("signals"))
def test_every_sample_call_gets_its_signals(sample_run, truth):
    signals = analysis_of(sample_run, truth["id"])["signals"]
    assert {s["kind"] for s in signals} == set(truth["signals"])


def test_parcel_late_has_a_late_parcel_and_a_good_product(sample_run):
    """The seed aspect example (issue 15), as Whisper hears it: "Last time the parcel was laid as well, but
    the product itself exceeded my expectation, so I ordered again." Every logistics mention is negative,
    every product mention positive, and there is one of each."""
    polarities: dict[str, set[str]] = {}
    for mention in analysis_of(sample_run, "parcel_late")["aspects"]:
        polarities.setdefault(mention["aspect"], set()).add(mention["polarity"])
    assert (polarities.get("logistics"), polarities.get("product")) == ({"negative"}, {"positive"}), polarities


def test_barge_in_is_an_interruption_by_the_customer(sample_run):
    metrics = analysis_of(sample_run, "cancel_threat")["metrics"]
    assert metrics["overtalk_count"] >= 1 and metrics["overtalk_agent_share"] == 0.0
    assert metrics["interruptions"]["customer"] >= 1 and metrics["interruptions"]["agent"] == 0
    assert metrics["talk_seconds"]["agent"] > 0 and metrics["talk_seconds"]["customer"] > 0
