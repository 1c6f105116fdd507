"""Predicted satisfaction (CSAT 1-5) for every stored call, and its check against surveys.

The raw prediction is a documented sum (docs/store.md, "Predicted satisfaction"):

    3.0 + 1.0 * end sentiment + 0.5 * overall sentiment
        + 0.3 improved / - 0.3 worsened trajectory
        + 0.5 resolution cue / - 0.6 unresolved cue in the customer's last two utterances
        - 0.7 churn intent - 0.6 escalation request - 0.8 legal threat
        - 0.4 repeat contact (signal or linked repeat) + 0.2 purchase intent
        - 0.2 avoidable reason family
    clipped to 1..5; no prediction (NULL) for a call without analysed customer speech

When surveys cover at least MIN_SURVEYS stored calls, a linear fit of the surveyed score on
the raw prediction (least squares) calibrates every call's prediction, provided its slope is
positive and it lowers the mean absolute error on held-out surveyed calls (5-fold); the
report gives coverage, Pearson and Spearman correlations and the fit with both errors.
"""

from __future__ import annotations

import re

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from callscope.store import Store
from callscope.store.views import contact

MIN_SURVEYS = 20
FOLDS = 5
RESOLVED_CUES = ("thank you", "thanks", "cheers", "sorted", "resolved", "fixed", "perfect", "brilliant", "great",
                 "appreciate", "lovely", "merci", "parfait", "réglé", "résolu", "très bien")
UNRESOLVED_CUES = ("still not", "still no", "still don't", "still haven't", "still hasn't", "not resolved",
                   "not sorted", "not fixed", "useless", "waste of time", "not happy", "call back", "no answer",
                   "ridiculous", "toujours pas", "pas réglé", "pas résolu", "pas content", "ne résout rien")
SIGNAL_WEIGHTS = {"churn_intent": -0.7, "escalation_request": -0.6, "legal_threat": -0.8, "purchase_intent": 0.2}
REPEAT_WEIGHT = -0.4
AVOIDABLE_WEIGHT = -0.2


def _cue_pattern(cues: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(c) for c in cues) + r")(?!\w)")


RESOLVED = _cue_pattern(RESOLVED_CUES)
UNRESOLVED = _cue_pattern(UNRESOLVED_CUES)


def resolution(text: str) -> int:
    """+1 when the customer's closing words say the issue is solved, -1 when not (this wins), 0 otherwise."""
    text = text.lower().replace("’", "'")
    if UNRESOLVED.search(text):
        return -1
    return 1 if RESOLVED.search(text) else 0


def raw_csat(score: float | None, end: float | None, trajectory: str | None, closing: str, signals: set[str],
             repeat: bool, family: str | None) -> float | None:
    """The documented formula for one call (see the module docstring); None without a sentiment score."""
    if score is None:
        return None
    value = 3.0 + 1.0 * (end if end is not None else score) + 0.5 * score
    value += {"improved": 0.3, "worsened": -0.3}.get(trajectory or "", 0.0)
    value += {1: 0.5, -1: -0.6, 0: 0.0}[resolution(closing)]
    value += sum(SIGNAL_WEIGHTS.get(kind, 0.0) for kind in signals)
    value += REPEAT_WEIGHT if repeat or "repeat_contact" in signals else 0.0
    value += AVOIDABLE_WEIGHT if family == "avoidable" else 0.0
    return float(min(5.0, max(1.0, value)))


def raw_predictions(store: Store) -> pd.DataFrame:
    """call_id and raw predicted CSAT (NaN: no prediction) of every stored call, in call_id order."""
    rows = store.con.execute("""
        WITH closing AS (
            SELECT call_id, string_agg(text, ' ' ORDER BY idx) AS text FROM (
                SELECT call_id, idx, text, row_number() OVER (PARTITION BY call_id ORDER BY idx DESC) AS back
                FROM utterances WHERE role = 'customer') WHERE back <= 2 GROUP BY call_id),
        kinds AS (SELECT call_id, list(DISTINCT kind) AS kinds FROM signals GROUP BY call_id)
        SELECT c.call_id, c.sentiment_score, c.sentiment_end, c.trajectory, coalesce(closing.text, ''),
               coalesce(kinds.kinds, []), c.repeat_of IS NOT NULL, c.family
        FROM conversations c LEFT JOIN closing USING (call_id) LEFT JOIN kinds USING (call_id)
        ORDER BY c.call_id""").fetchall()
    return pd.DataFrame({
        "call_id": pd.Series([row[0] for row in rows], dtype=object),
        "raw": pd.Series([raw_csat(score, end, trajectory, closing, set(kinds), repeat, family)
                          for _, score, end, trajectory, closing, kinds, repeat, family in rows], dtype=float)})


def _surveyed(store: Store, raw: pd.DataFrame) -> pd.DataFrame:
    """Surveyed stored calls with their target score: CSAT, else NPS mapped to 1..5 (1 + 0.4 * NPS)."""
    surveys = store.con.execute("SELECT call_id, csat, nps FROM surveys ORDER BY call_id").df()
    surveys["call_id"] = surveys["call_id"].astype(object)     # an empty table's column would be float64
    merged = raw.dropna(subset=["raw"]).merge(surveys, on="call_id")
    merged["target"] = merged["csat"].where(merged["csat"].notna(), 1 + 0.4 * merged["nps"])
    return merged


def _fit(raw: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    slope, intercept = np.polyfit(raw, target, 1)
    return float(intercept), float(slope)


def _apply(intercept: float, slope: float, raw: np.ndarray) -> np.ndarray:
    return np.clip(intercept + slope * raw, 1.0, 5.0)


def _cross_validated_mae(raw: np.ndarray, target: np.ndarray) -> float:
    """Mean absolute error of the calibration on held-out folds (fold = position mod FOLDS)."""
    fold = np.arange(len(raw)) % FOLDS
    errors = []
    for k in range(FOLDS):
        train, test = fold != k, fold == k
        intercept, slope = _fit(raw[train], target[train])
        errors.append(np.abs(_apply(intercept, slope, raw[test]) - target[test]))
    return float(np.concatenate(errors).mean())


def satisfaction_report(store: Store) -> tuple[pd.DataFrame, dict]:
    """Predictions (call_id, raw, predicted) for every stored call, and the survey report.

    The report holds `analysed` (calls with a prediction), `surveyed` (of those, how many have a
    survey answer), `coverage` (surveyed / analysed), `pearson` and
    `spearman` (raw prediction vs surveyed score, with p-values) and `calibration`
    (`applied`, `intercept`, `slope`, `mae_raw`, `mae_calibrated_cv`, and `reason` when not applied).
    """
    predictions = raw_predictions(store)
    predictions["predicted"] = predictions["raw"]
    surveyed = _surveyed(store, predictions)
    analysed = int(predictions["raw"].notna().sum())
    report: dict = {"analysed": analysed, "surveyed": len(surveyed),
                    "coverage": len(surveyed) / analysed if analysed else 0.0,
                    "survey_rows": store.scalar("SELECT count(*) FROM surveys"),
                    "target": "csat" if surveyed["csat"].notna().all() else "csat, else 1 + 0.4 * nps",
                    "pearson": None, "pearson_p": None, "spearman": None, "spearman_p": None,
                    "calibration": {"applied": False, "method": "linear"}}
    raw, target = surveyed["raw"].to_numpy(float), surveyed["target"].to_numpy(float)
    if len(surveyed) >= 3 and raw.std() > 0 and target.std() > 0:
        pearson, spearman = stats.pearsonr(raw, target), stats.spearmanr(raw, target)
        report.update(pearson=float(pearson.statistic), pearson_p=float(pearson.pvalue),
                      spearman=float(spearman.statistic), spearman_p=float(spearman.pvalue))
    calibration = report["calibration"]
    if len(surveyed) < MIN_SURVEYS:
        calibration["reason"] = f"{len(surveyed)} surveyed calls; calibration needs {MIN_SURVEYS}"
        return predictions, report
    intercept, slope = _fit(raw, target)
    if slope <= 0:
        calibration["reason"] = f"surveyed scores do not rise with the prediction (slope {slope:.3f})"
        return predictions, report
    calibration.update(intercept=intercept, slope=slope, n=len(surveyed), mae_raw=float(np.abs(raw - target).mean()),
                       mae_calibrated_cv=_cross_validated_mae(raw, target))
    if calibration["mae_calibrated_cv"] >= calibration["mae_raw"]:
        calibration["reason"] = "the fit does not lower the error on held-out surveyed calls"
        return predictions, report
    calibration["applied"] = True
    predictions["predicted"] = _apply(intercept, slope, predictions["raw"].to_numpy(float))
    return predictions, report


def update_satisfaction(store: Store) -> dict:
    """Write `conversations.predicted_csat` (calibrated when surveys allow) and return the survey report."""
    predictions, report = satisfaction_report(store)
    values = predictions["predicted"].round(2)
    predictions["predicted"] = pd.Series([None if np.isnan(v) else float(v) for v in values], dtype=object)
    store.con.register("_csat", predictions[["call_id", "predicted"]])
    try:
        with store.transaction() as con:
            con.execute("UPDATE conversations SET predicted_csat = _csat.predicted FROM _csat "
                        "WHERE conversations.call_id = _csat.call_id")
    finally:
        store.con.unregister("_csat")
    return report


def surveys_by_reason(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Per contact reason: what surveys measured next to what is predicted for the contacts nobody surveyed.

    A survey row counts for the conversation it is keyed by: the contact it follows, or a survey
    verbatim (channel 'survey') with the reason read from its text. `surveyed`, mean `csat` (of
    `with_csat` answers), `nps` = % promoters (9-10) - % detractors (0-6) of `with_nps` answers;
    `unsurveyed` contacts (survey verbatims are not contacts) and their mean `predicted_csat`.
    Largest reasons first; `con` sees `conversations` and `surveys` (the store or a report's selection).
    """
    cursor = con.execute(f"""
        SELECT coalesce(c.reason, 'unknown') AS reason, coalesce(any_value(c.family), 'unknown') AS family,
               count(s.call_id) AS surveyed, count(s.csat) AS with_csat, avg(s.csat) AS csat,
               count(s.nps) AS with_nps,
               100.0 * (count(*) FILTER (s.nps >= 9) - count(*) FILTER (s.nps <= 6)) / nullif(count(s.nps), 0) AS nps,
               count(*) FILTER (s.call_id IS NULL) AS unsurveyed,
               avg(c.predicted_csat) FILTER (s.call_id IS NULL) AS predicted_csat
        FROM conversations c LEFT JOIN surveys s USING (call_id)
        WHERE s.call_id IS NOT NULL OR {contact('c.channel')}
        GROUP BY 1 ORDER BY count(*) DESC, reason""")
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
