"""Topics over generated calls: reproducible, stable ids across nightly runs, new themes get new ids."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from callscope.cli import app
from callscope.config import TopicSettings
from callscope.corpus.topics import STATE_FILE, update_topics
from callscope.corpus.trends import volumes
from callscope.errors import CallscopeError
from callscope.evaluation.topics import npmi
from callscope.store import Store
from tests.fixtures.synthetic_corpus import END_DATE, generate_conversations

pytestmark = pytest.mark.slow     # loads text models (embedders, heads) or builds a large corpus

OLD_REASONS = ("parcel_late", "pin_reset", "roaming", "loan_application", "store_info")
NEW_REASON = "missed_appointment"
SETTINGS = TopicSettings()


# The corpus is drawn from a frozen copy of the default taxonomy (as of a0a2f39), so that editing the
# shipped examples does not reshuffle it: the checks below hold for this seed-1 corpus, while on
# other draws (seeds 2 and 3, or seed 1 from today's taxonomy) parcel_late and store_info ("where
# is ...") share a topic, and French calls, embedded by the English MiniLM, form one topic of their own.
FROZEN_TAXONOMY = Path(__file__).parent / "fixtures" / "topics_taxonomy.yaml"


def taxonomy(folder: Path, reasons: tuple[str, ...]) -> Path:
    """The frozen taxonomy narrowed to `reasons` (aspects kept)."""
    data = yaml.safe_load(FROZEN_TAXONOMY.read_text(encoding="utf-8"))
    data["reasons"] = [r for r in data["reasons"] if r["id"] in reasons]
    path = folder / f"taxonomy-{len(reasons)}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def add_calls(folder: Path, calls, run_id: str) -> None:
    with Store(folder) as store:
        store.upsert_many(((c.conversation, c.metadata) for c in calls), run_id)
        store.record_run(run_id, started_at=f"{calls[-1].metadata.call_time:%Y-%m-%d}T23:00:00", processed=len(calls))


def update(folder: Path):
    with Store(folder) as store:
        return update_topics(store.con, folder / "topics", SETTINGS)


def table(folder: Path, query: str, parameters: list | None = None) -> list[tuple]:
    with Store(folder, read_only=True) as store:
        return store.con.execute(query, parameters).fetchall()


def dominant(assigned: dict[str, int], truth: dict[str, str], reason: str) -> tuple[int, float]:
    """The topic most of a reason's calls are in, and that share."""
    counts = Counter(t for c, t in assigned.items() if truth[c] == reason)
    topic, n = counts.most_common(1)[0]
    return topic, n / sum(counts.values())


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    """Night 1 (five reasons) modelled in `first`; `pristine` is the same store before modelling;
    night 2 (the five again plus a new reason, four weeks later) is generated but not stored."""
    root = tmp_path_factory.mktemp("topics")
    night1 = generate_conversations(n=150, seed=1, taxonomy=taxonomy(root, OLD_REASONS))
    night2 = generate_conversations(n=150, seed=2, taxonomy=taxonomy(root, (*OLD_REASONS, NEW_REASON)),
                                    end_date=END_DATE + timedelta(days=28))
    first, pristine = root / "first", root / "pristine"
    add_calls(first, night1, "night-1")
    shutil.copytree(first, pristine)
    result = update(first)
    truth = {c.conversation.id: c.reason for c in [*night1, *night2]}
    return {"first": first, "pristine": pristine, "result": result, "night2": night2, "truth": truth}


def assignments(folder: Path) -> dict[str, int]:
    return dict(table(folder, "SELECT call_id, topic_id FROM conversations ORDER BY call_id"))


def test_topics_follow_reasons_and_two_runs_are_identical(nights):
    first, pristine, result = nights["first"], nights["pristine"], nights["result"]
    assert result.note is None and result.embedder == "minilm" and result.documents == 150
    assert 5 <= result.topics <= 10 and result.new_topics == list(range(result.topics))
    assigned = assignments(first)
    assert None not in assigned.values()
    for reason in OLD_REASONS:
        topic, share = dominant(assigned, nights["truth"], reason)
        assert topic >= 0 and share >= 0.7, (reason, topic, share)
    rows = table(first, "SELECT * FROM topics ORDER BY topic_id")
    assert all(label and keywords and quote and first_seen == "night-1"
               for _, label, keywords, quote, _, first_seen in rows)
    assert sum(size for *_, size, _ in rows) == sum(t >= 0 for t in assigned.values())
    with Store(first, read_only=True) as store:
        weekly = volumes(store.con, by="topic", period="week")
    per_topic = Counter()
    for row in weekly:
        per_topic[row["key"]] += row["count"]
    assert per_topic == Counter(assigned.values())
    labels = {topic_id: label for topic_id, label, *_ in rows}
    assert {row["key"]: row["label"] for row in weekly if row["key"] >= 0} == labels

    again = update(pristine)
    assert again == result
    assert (pristine / "topics" / STATE_FILE).read_bytes() == (first / "topics" / STATE_FILE).read_bytes()
    assert table(pristine, "SELECT * FROM topics ORDER BY topic_id") == rows
    assert assignments(pristine) == assigned


def test_next_night_keeps_topic_ids_and_gives_a_new_theme_a_new_id(nights, tmp_path):
    folder = tmp_path / "second"
    shutil.copytree(nights["first"], folder)
    before, old_topics = assignments(folder), table(folder, "SELECT * EXCLUDE (size) FROM topics ORDER BY topic_id")
    add_calls(folder, nights["night2"], "night-2")
    result = update(folder)
    after, truth = assignments(folder), nights["truth"]

    assert all(after[c] == t for c, t in before.items() if t != -1)     # only past outliers may move
    assert table(folder, "SELECT * EXCLUDE (size) FROM topics WHERE topic_id < ? ORDER BY topic_id",
                 [len(old_topics)]) == old_topics
    for reason in OLD_REASONS:
        topic, share = dominant(after, truth, reason)
        assert topic == dominant(before, truth, reason)[0] and share >= 0.8, (reason, share)
    topic, share = dominant(after, truth, NEW_REASON)
    assert topic in result.new_topics and share >= 0.7
    assert min(result.new_topics) == len(old_topics) and len(result.new_topics) <= 2
    assert table(folder, "SELECT first_seen_run FROM topics WHERE topic_id = ?", [topic]) == [("night-2",)]
    assert result.assigned >= 100


def test_too_few_calls_give_no_topics_and_a_note(tmp_path):
    add_calls(tmp_path, generate_conversations(n=10, seed=4), "small")
    result = update(tmp_path)
    assert result.topics == 0 and "too few" in result.note and "min_documents" in result.note
    assert table(tmp_path, "SELECT count(*), count(topic_id) FROM conversations") == [(10, 0)]
    assert table(tmp_path, "SELECT count(*) FROM topics") == [(0,)]
    assert not (tmp_path / "topics" / STATE_FILE).exists()


def test_lost_state_is_an_error_not_a_renumbering(tmp_path):
    add_calls(tmp_path, generate_conversations(n=10, seed=4), "small")
    with Store(tmp_path) as store:
        store.con.execute("INSERT INTO topics VALUES (0, 'parcel', 'parcel', 'where is it', 10, 'old')")
    with pytest.raises(CallscopeError, match=f"{STATE_FILE}: missing"):
        update(tmp_path)


def test_npmi_on_document_co_occurrence():
    docs = [{"refund", "card"}, {"refund", "card"}, {"parcel"}, {"parcel", "late"}]
    assert npmi(["refund", "card"], docs) == pytest.approx(1.0)     # always together
    assert npmi(["refund", "parcel"], docs) == -1.0                  # never together
    assert npmi(["parcel", "late"], docs) == pytest.approx(0.5)     # log(1/4 / (1/2 * 1/4)) / log 4
    assert npmi(["refund"], docs) is None


def test_eval_topics_json(nights, tmp_path):
    data = tmp_path / "labelled.jsonl"
    data.write_text("".join(json.dumps({"said": " ".join(u.text for u in c.conversation.utterances
                                                         if u.role == "customer"), "reason": c.reason}) + "\n"
                            for c in nights["night2"]), encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "topics", "--data", str(data), "--text-field", "said",
                                      "--label-field", "reason", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["n"] == 150 and figures["n_labels"] == 6 and figures["n_topics"] >= 5
    assert figures["nmi"] >= 0.6 and figures["ari"] > 0.3 and 0 <= figures["outlier_share"] <= 0.15
    assert -1 <= figures["npmi"] <= 1

    bad = CliRunner().invoke(app, ["eval", "topics", "--data", str(tmp_path / "absent.jsonl")])
    assert bad.exit_code == 2 and "absent.jsonl: file not found" in bad.output
    assert CliRunner().invoke(app, ["eval", "topics", "--data", str(data), "--min-topic-size", "1"]).exit_code == 2
    config = tmp_path / "bad.yaml"
    config.write_text("topics:\n  min_topic_size: 1\n")
    bad = CliRunner().invoke(app, ["eval", "topics", "--data", str(data), "--config", str(config)])
    assert bad.exit_code == 2 and "topics.min_topic_size: Input should be greater than or equal to 2" in bad.stderr
