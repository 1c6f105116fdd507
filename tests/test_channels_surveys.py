"""Survey CSVs: CSAT and NPS scales, verbatims as customer messages, bad scores reported by line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from callscope.channels.read import read_text_input
from callscope.config import ChannelSettings

SETTINGS = ChannelSettings()


def test_csat_column_with_comments_dates_and_the_conversation_followed(tmp_path: Path):
    path = tmp_path / "csat.csv"
    path.write_text("response_id,CSAT,Verbatim,Date,customer_id,follows\n"
                    "r1,2,Nobody called me back,2026-03-02,C1,call-7\n"
                    "r2,5,,2026-03-03 14:00:00,C2,\n"
                    "r3,6,way too high,2026-03-03,C3,\n"
                    "r4,four,typo,2026-03-03,C4,\n"
                    "r5,,Only a comment,someday,C5,\n"
                    "r1,3,duplicate id,2026-03-04,C6,\n", encoding="utf-8")
    reading = read_text_input(path, SETTINGS)
    assert [str(p) for p in reading.problems] == [
        f"{path}: line 4: CSAT '6' is outside csat 1..5",
        f"{path}: line 5: CSAT 'four' is not a number",
        f"{path}: line 6: Date 'someday' is not a date",
        f"{path}: line 7: response id 'r1' given twice"]
    r1, r2 = reading.threads
    assert (r1.key, r1.channel, r1.customer_id, r1.started_at) == ("r1", "survey", "C1", datetime(2026, 3, 2))
    assert r1.survey.csat == 2 and r1.survey.nps is None and r1.survey.follows == "call-7"
    assert [(m.role, m.text, m.start, m.line) for m in r1.messages] == [("customer", "Nobody called me back", 0.0, 2)]
    assert r2.messages == () and r2.warnings == () and r2.survey.csat == 5 and r2.survey.follows is None


def test_a_score_column_is_nps_when_a_value_is_outside_1_to_5(tmp_path: Path):
    path = tmp_path / "scores.csv"
    path.write_text("rating,comment\n4,ok\n9,great\n0,awful\n11,off the scale\n", encoding="utf-8")
    reading = read_text_input(path, SETTINGS)
    assert [t.survey.nps for t in reading.threads] == [4, 9, 0]
    assert [t.key for t in reading.threads] == ["line-2", "line-3", "line-4"]
    assert [str(p) for p in reading.problems] == [f"{path}: line 5: rating '11' is outside nps 0..10"]
    path.write_text("rating,comment\n4,ok\n5,great\n1,awful\n", encoding="utf-8")
    assert [t.survey.csat for t in read_text_input(path, SETTINGS).threads] == [4, 5, 1]
    nps = ChannelSettings(survey_scale="nps")
    assert [t.survey.nps for t in read_text_input(path, nps).threads] == [4, 5, 1]


def test_nps_column_and_both_scales(tmp_path: Path):
    path = tmp_path / "nps.csv"
    path.write_text("NPS,CSAT,feedback\n10,5,Brilliant\n3,,Slow\n", encoding="utf-8")
    first, second = read_text_input(path, SETTINGS).threads
    assert (first.survey.nps, first.survey.csat, second.survey.nps, second.survey.csat) == (10, 5, 3, None)
    assert second.messages[0].text == "Slow"


def test_survey_dates_may_be_day_first(tmp_path: Path):
    path = tmp_path / "nps.csv"
    path.write_text("response_id,nps,comment,date\n"
                    "r1,9,great,02/03/2026\n"
                    "r2,3,slow,28/02/2026 17:45\n"
                    "r3,7,ok,the second of March\n", encoding="utf-8")
    reading = read_text_input(path, SETTINGS)
    assert [str(p) for p in reading.problems] == [f"{path}: line 4: date 'the second of March' is not a date"]
    assert [t.started_at for t in reading.threads] == [datetime(2026, 3, 2), datetime(2026, 2, 28, 17, 45)]
