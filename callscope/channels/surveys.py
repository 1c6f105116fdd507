"""Survey exports: a CSV with one response per row (score, verbatim comment, date, customer, the
conversation it follows). Each response is a Thread of channel "survey" holding the verbatim as one
customer message; a response with a score and no comment is a Thread without messages (normal for
surveys, so no warning). A score out of range or not a number is a Problem naming the line.

Scale: a `csat` column is 1-5, an `nps` column 0-10; a `score`/`rating` column follows
channels.survey_scale, and with "auto" is NPS when any of its values in the file is 0 or above 5,
else CSAT.
"""

from __future__ import annotations

from pathlib import Path

from callscope.channels.source import columns_of, csv_records, day_first_of, load_text, parse_time
from callscope.channels.thread import Message, Problem, Reading, SurveyAnswer, Thread
from callscope.config import ChannelSettings

SCALES = {"csat": (1.0, 5.0), "nps": (0.0, 10.0)}


def survey_columns(header: list[str], settings: ChannelSettings) -> dict[str, int]:
    """Survey column -> index in `header` (see settings.survey_columns and survey_mapping)."""
    return columns_of(header, settings.survey_columns, settings.survey_mapping)


def is_survey_header(header: list[str], settings: ChannelSettings) -> bool:
    """Whether a CSV header names a score column (csat, nps, score or rating)."""
    return bool({"csat", "nps", "score"} & set(survey_columns(header, settings)))


def read_surveys(path: Path, settings: ChannelSettings) -> Reading:
    """One Thread per response row, in file order; key: the response id, else `line-<n>`."""
    text = load_text(path)
    if isinstance(text, Problem):
        return Reading(problems=[text])
    reading, rows, columns, headers = Reading(), [], None, {}
    for record in csv_records(path, text):
        if isinstance(record, Problem):
            reading.problems.append(record)
        elif columns is None:
            columns = survey_columns(record[1], settings)
            headers = {name: record[1][index] for name, index in columns.items()}
            if not is_survey_header(record[1], settings):
                reading.problems.append(Problem(path, "no score column (csat, nps, score or rating) in the header",
                                                record[0]))
                return reading
        else:
            rows.append((record[0], {name: record[1][index] for name, index in columns.items()}))
    scale = _scale(rows, settings)
    day_first = day_first_of((row.get("date") or "" for _, row in rows), settings.day_first)
    keys = set()
    for line, row in rows:
        thread = _response(path, line, row, scale, headers, day_first)
        if isinstance(thread, Thread) and thread.key in keys:
            thread = Problem(path, f"response id {thread.key!r} given twice", line)
        if isinstance(thread, Problem):
            reading.problems.append(thread)
        else:
            keys.add(thread.key)
            reading.threads.append(thread)
    return reading


def _scale(rows: list[tuple[int, dict]], settings: ChannelSettings) -> str:
    """The scale of the `score` column: settings.survey_scale, or by the range of its values."""
    if settings.survey_scale != "auto":
        return settings.survey_scale
    for _, row in rows:
        try:
            if not 1 <= float(row.get("score") or 1) <= 5:
                return "nps"
        except ValueError:
            continue
    return "csat"


def _response(path: Path, line: int, row: dict[str, str], scale: str, headers: dict[str, str],
              day_first: bool) -> Thread | Problem:
    scores = {"csat": None, "nps": None}
    for column, kind in (("csat", "csat"), ("nps", "nps"), ("score", scale)):
        if row.get(column):
            low, high = SCALES[kind]
            try:
                value = float(row[column])
            except ValueError:
                return Problem(path, f"{headers[column]} {row[column]!r} is not a number", line)
            if not low <= value <= high:
                return Problem(path, f"{headers[column]} {row[column]!r} is outside {kind} {low:g}..{high:g}", line)
            scores[kind] = value
    try:
        answered = parse_time(row["date"], day_first) if row.get("date") else None
    except ValueError:
        return Problem(path, f"{headers['date']} {row['date']!r} is not a date", line)
    if not (row.get("comment") or any(value is not None for value in scores.values())):
        return Problem(path, "neither a score nor a comment", line)
    comment = row.get("comment")
    messages = (Message("customer", comment, sent_at=answered, start=0.0, line=line),) if comment else ()
    return Thread(path, row.get("response_id") or f"line-{line}", "survey", messages,
                  customer_id=row.get("customer_id") or None, started_at=answered,
                  survey=SurveyAnswer(csat=scores["csat"], nps=scores["nps"], follows=row.get("conversation_id") or None), line=line)
