"""Reports over conversations of every channel: `--channel`, the reason mix per channel, agents compared
within their channel, the channel of each action, journey pages with hashed customer ids, survey figures
per reason, and everything escaped. Built from a small generated store: no models."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from callscope.cli import app
from callscope.config import Settings
from callscope.pii.call_ids import private_customer_id
from callscope.reports import Filters, build_reports
from callscope.reports.browser import check_pages, chromium
from callscope.reports.render import call_file
from tests.fixtures.mixed_channels import HOSTILE_AGENT, HOSTILE_CUSTOMER, HOSTILE_REASON, build_mixed_store
from tests.test_reports import page_text as text, report  # noqa: F401 (the fixture: reports of this module's store)

ALICE, BOB = "alice@example.com", "C-002"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return build_mixed_store(tmp_path_factory.mktemp("out"))


def section(html: str, name: str) -> str:
    start = html.index(f'<section id="{name}">')
    return html[start:html.index("</section>", start)]


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The cells' text of a table's body rows (tags removed)."""
    body = html[html.index(f'id="{table_id}"'):]
    body = body[body.index("<tbody>"):body.index("</tbody>")]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_listen_shows_the_reason_mix_per_channel_without_the_survey_verbatims(report):
    html = section(text(report / "listen.html"), "channels")
    assert "Reason families per channel" in html and "the 1 survey verbatims are feedback" in html
    mix = {row[0]: row for row in table_rows(html, "channel-mix")}
    # channels by volume: chat (a1, c1, h1), voice (a2, b1, b2), email (a4); a count and a share each
    assert mix["App help"][2:] == ["1", "33.3%", "1", "33.3%", "0", "0.0%"]
    assert mix["Parcel late"][2:] == ["1", "33.3%", "2", "66.7%", "0", "0.0%"]
    assert table_rows(html, "selfcare-by-voice") == [["App help", "1", "2"]]
    assert ["Billing error", "0", "0", "1"] in table_rows(html, "avoidable-by-channel")


def test_listen_lists_cross_channel_repeats_and_links_the_journeys(report):
    html = section(text(report / "listen.html"), "journeys")
    assert table_rows(html, "cross-channel") == [["App help", "Selfcare", "2", "1", "1", "1", "chat → voice"]]
    journeys = table_rows(html, "journey-list")
    assert [row[0] for row in journeys] == [private_customer_id(ALICE), private_customer_id(BOB)]
    assert f'href="journeys/{private_customer_id(ALICE)}.html"' in html
    assert ALICE not in text(report / "listen.html")


def test_listen_gives_measured_nps_and_csat_per_reason_next_to_the_predicted_rest(report):
    rows = {row[0]: row for row in table_rows(section(text(report / "listen.html"), "surveys"), "survey-table")}
    assert rows["App help"][2:6] == ["2", "1.50 (2)", "-100 (2)", "1"]
    assert rows["Parcel late"][2:6] == ["1", "5.00 (1)", "+100 (1)", "2"]
    assert rows["Billing error"][2:6] == ["0", "–", "–", "1"]
    assert list(rows)[:2] == ["App help", "Parcel late"]                # surveyed reasons first


def test_a_journey_page_per_customer_with_hashed_ids_and_links_to_each_conversation(report):
    pages = sorted(p.name for p in (report / "journeys").iterdir())
    assert pages == sorted(f"{private_customer_id(c)}.html" for c in (ALICE, BOB, HOSTILE_CUSTOMER))
    html = text(report / "journeys" / f"{private_customer_id(ALICE)}.html")
    assert ALICE not in html and "alice" not in html
    steps = re.findall(r'<a href="\.\./calls/(\w+)\.html">', html)
    assert steps[:5] == ["a1", "a2", "a1", "a3", "a4"]          # a2 links back to a1, the contact it repeats
    assert "repeat across channels: chat → voice" in html and "self-service failed" in html
    assert html.count("resolved in one contact") == 1 and "the customer came back" in html   # a2; a1
    call = text(report / "calls" / call_file("a2"))
    assert f'href="../journeys/{private_customer_id(ALICE)}.html"' in call and "another channel" in call
    assert 'href="../calls/a1.html"' in call and ALICE not in call


def test_keep_pii_shows_customer_ids_and_escapes_them(store, tmp_path):
    build_reports(store, tmp_path, Settings(), keep_pii=True)
    assert (tmp_path / "journeys" / call_file(ALICE)).is_file()
    hostile = text(tmp_path / "journeys" / call_file(HOSTILE_CUSTOMER))
    assert "&lt;img src=x onerror=alert(1)&gt;" in hostile and HOSTILE_CUSTOMER not in hostile
    assert "<" not in call_file(HOSTILE_CUSTOMER)
    with open(tmp_path / "actions.csv", newline="", encoding="utf-8") as handle:
        shown = {row["customer_id"] for row in csv.DictReader(handle)} - {""}
    assert shown and shown <= {ALICE, BOB, HOSTILE_CUSTOMER}


def test_hostile_reasons_agents_and_customers_are_escaped_everywhere(report):
    for page in [*report.glob("*.html"), *report.glob("*/*.html")]:
        html = text(page)
        for hostile in (HOSTILE_REASON, HOSTILE_AGENT, HOSTILE_CUSTOMER):
            assert hostile not in html, (page.name, hostile)
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in text(report / "listen.html")
    assert "&lt;b&gt;Eve&lt;/b&gt;" in text(report / "empower.html")


def test_empower_compares_agents_within_their_channel(report):
    html = text(report / "empower.html")
    groups = re.findall(r'<h3 id="team-\d+">(.*?)</h3>', html)
    assert groups == ["North · chat", "North · email", "North · voice"]     # the survey verbatim has no agent
    voice = html[html.index(">North · voice</h3>"):]
    voice = voice[:voice.index("</table>")]
    assert "Victor" in voice and "Vera" in voice and "Chloe" not in voice and "Chris" not in voice
    assert "a3.html" not in html          # the survey verbatim asked for a manager: no coaching moment


def test_empower_compares_chat_and_email_agents_on_replies_and_waits_not_talk(report):
    html = section(text(report / "empower.html"), "teams")
    chat, voice = html[html.index('id="teams-chat"'):], html[html.index('id="teams-voice"'):]
    chat, voice = chat[:chat.index("</table>")], voice[:voice.index("</table>")]
    assert "First response" in chat and "Customer waiting time" in chat and "Resolved in one contact" in chat
    assert "talk ratio" not in chat and "Overtalk" not in chat and "Agent talk ratio" in voice
    # CHANNEL_METRICS: chat first responses 30 s (Chloe), 120 s (Chris), 60 s (Eve): the team median 1:00
    assert table_rows(html, "teams-chat") == [["North · chat", "3", "3", "1:00", "3:20", "4.0", "50%", "50%"]]
    assert table_rows(html, "teams-email")[0][3:6] == ["2:00:00", "3:00:00", "2.0"]
    agents = section(text(report / "empower.html"), "agents")
    chris = next(row for row in table_rows(agents, "team-1") if row[0] == "Chris")      # team-1: North · chat
    assert chris[2:5] == ["2:00 +100%", "10:00 +200%", "5.0 +25%"]


@pytest.mark.parametrize("call_id, word", [("a1", "Chat"), ("a2", "Call"), ("a3", "Survey response"),
                                           ("a4", "E-mail")])
def test_a_conversation_page_names_the_conversation_by_its_channel(report, call_id, word):
    html = text(report / "calls" / call_file(call_id))
    assert f"<title>{word} {call_id} · callscope</title>" in html and f"<h1>{word} {call_id}</h1>" in html
    assert f"Sentiment over the {word.lower()}" in html
    assert ("Call " in html) == (word == "Call") and ("over the call" in html) == (word == "Call")


def test_a_chat_page_shows_replies_and_waits_instead_of_talk_time(report):
    html = text(report / "calls" / call_file("c1"))          # CHANNEL_METRICS["c1"]
    assert re.search(r"first response</td><td[^>]*>2:00<", html) and re.search(r"waiting time</td><td[^>]*>10:00<", html)
    assert re.search(r"messages customer / agent</td><td[^>]*>6 / 5<", html) and "talk ratio" not in html
    assert "agent talk ratio" in text(report / "calls" / call_file("a2"))


def test_engage_and_actions_carry_the_channel(report):
    with open(report / "actions.csv", newline="", encoding="utf-8") as handle:
        actions = list(csv.DictReader(handle))
    channels = {a["call_id"]: a["channel"] for a in actions}
    assert channels["a3"] == "survey" and all(channels[c] == "chat" for c in ("a1", "c1", "h1") if c in channels)
    assert all(a["customer_id"] in ("", *map(private_customer_id, (ALICE, BOB, HOSTILE_CUSTOMER))) for a in actions)
    risk = section(text(report / "engage.html"), "risk")
    assert f'href="journeys/{private_customer_id(ALICE)}.html"' in risk and "chat, email, survey, voice" in risk


def test_filters_select_a_channel(store, tmp_path):
    summary = build_reports(store, tmp_path, Settings(), Filters(channel="chat"))
    assert sorted(p.stem for p in summary.call_pages) == ["a1", "c1", "h1"]
    assert "channel chat" in text(tmp_path / "index.html")
    assert "Every contact in this selection came by chat" in text(tmp_path / "listen.html")


def test_cli_report_channel(store, tmp_path):
    result = CliRunner().invoke(app, ["report", "--out", str(store.parent), "--to", str(tmp_path), "--channel", "voice",
                                      "--json"])
    assert result.exit_code == 0, result.output
    assert sorted(p.stem for p in (tmp_path / "calls").iterdir()) == ["a2", "b1", "b2"]
    assert '"journey_pages": 2' in result.output
    bad = CliRunner().invoke(app, ["report", "--out", str(store.parent), "--channel", "fax"])
    assert bad.exit_code == 2 and "--channel 'fax': expected one of voice, chat, email, survey" in bad.output


@pytest.mark.skipif(chromium() is None, reason="chromium not installed (Debian: apt-get install chromium)")
def test_journey_and_listen_pages_render_in_a_real_browser(report):
    checks = check_pages([report / "journeys" / f"{private_customer_id(ALICE)}.html", report / "listen.html"],
                         globals_to_read=("pwned",))
    for check in checks:
        assert check.errors == [] and check.requests == [], check.path.name
        assert check.page_globals["pwned"] is None                    # the hostile reason never ran
    assert "repeat across channels: chat → voice" in checks[0].text and HOSTILE_REASON in checks[1].text


def test_reports_of_a_store_written_before_journeys(tmp_path):
    import duckdb

    path = build_mixed_store(tmp_path / "out")
    with duckdb.connect(str(path)) as con:           # as the previous version left it; reports open it read-only
        con.execute("DROP VIEW journeys")
        con.execute("ALTER TABLE conversations DROP COLUMN cross_channel_repeat")
        con.execute("ALTER TABLE conversations DROP COLUMN resolved_first_contact")
    summary = build_reports(path, tmp_path / "reports", Settings())
    assert len(summary.journey_pages) == 3 and len(summary.call_pages) == 8
    assert "No repeat contact crossed channels" in text(tmp_path / "reports" / "listen.html")
