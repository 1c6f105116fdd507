"""Text conversations (chat, e-mail, survey, imported transcript) through the pipeline and the batch.

Fast tests build `Thread`s directly and run without the text models (TextProcessor without an
enricher: roles, times, metrics, redaction, outputs, batch units); the slow ones load the models.
The batch reads conversation JSONL through callscope.channels.read (branch textin's readers).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from callscope import hooks
from callscope.batch import BatchRunner
from callscope.channels.thread import Message, Thread
from callscope.config import MetadataSettings, Settings, load_settings
from callscope.conversation import Conversation, SurveyAnswer
from callscope.errors import EXIT_SOME_FAILED
from callscope.manifest import Manifest
from callscope.metadata import CallMetadata, MetadataResolver
from callscope.pipeline.ingest import discover
from callscope.pipeline.metrics import channel_metrics
from callscope.pipeline.text import TextProcessor, TextUnit, message_times, speaker_ids
from callscope.recovery import rebuild_store
from callscope.writers import to_txt, write_outputs
from tests.fixtures.synthetic_chats import generate_threads, write_jsonl

ROOT = Path(__file__).resolve().parent.parent

T0 = datetime(2026, 11, 20, 9, 0, 0)
CARD = "4556 7375 8689 9855"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def chat(key: str = "c1", path: Path = Path("chats.csv")) -> Thread:
    messages = (
        Message("customer", "Hi, my parcel never arrived.", "Jane Doe", at(0)),
        Message("bot", "An agent will be with you shortly.", "Bot", at(5)),
        Message("agent", "Hello, I'm sorry to hear that. Can I take your name?", "Emma", at(65)),
        Message("customer", "My name is John Smith.", "Jane Doe", at(80)),
        Message("customer", f"I paid with the card {CARD}.", "Jane Doe", at(90)),
        Message("agent", "Thanks, a new parcel goes out today.", "Emma", at(150)),
        Message("customer", "Great, thank you!", "Jane Doe", at(170)),
    )
    return Thread(path=path, key=key, channel="chat", messages=messages, customer_id="cust-1", agent="Emma", line=2)


def email() -> Thread:
    return Thread(path=Path("box.mbox"), key="<m1@example.com>", channel="email", customer_id="jane@example.com",
                  attachments=("invoice.pdf",),
                  messages=(Message("customer", "I was charged twice for my order, please refund one.", sent_at=at(0)),
                            Message("agent", "We have refunded the second payment.", sent_at=at(7200))))


def survey() -> Thread:
    return Thread(path=Path("survey.csv"), key="r7", channel="survey", customer_id="cust-1",
                  survey=SurveyAnswer(nps=3, follows="chats__c1"), started_at=at(86400),
                  messages=(Message("customer", "The delivery was late and nobody called me back."),))


def transcript() -> Thread:
    """An imported voice transcript: speaker labels without roles, timed turns."""
    return Thread(path=Path("asr.json"), key="call-9", channel="voice", messages=(
        Message("unknown", "Thank you for calling Acme, my name is Emma, how can I help you?", "spk_0", start=0.0, end=4.0),
        Message("unknown", "Hi, I'd like to cancel my subscription.", "spk_1", start=4.5, end=7.0),
        Message("unknown", "Can I take your account number please?", "spk_0", start=7.5, end=9.5)))


def no_models(redact: bool = True) -> TextProcessor:
    settings = Settings()
    settings.output.redact = redact
    return TextProcessor(settings, enricher=None)


def test_message_times_from_clock_turns_or_the_message_before():
    messages = [Message("customer", "a", sent_at=at(10)), Message("agent", "b"), Message("agent", "c", sent_at=at(70))]
    assert message_times(messages) == [(0.0, 0.0), (0.0, 0.0), (60.0, 60.0)]
    assert message_times(transcript().messages) == [(0.0, 4.0), (4.5, 7.0), (7.5, 9.5)]


def test_speakers_are_roles_numbered_unless_names_are_kept():
    messages = chat().messages
    assert speaker_ids(messages, names=False) == ["customer_1", "bot_1", "agent_1", "customer_1", "customer_1",
                                                  "agent_1", "customer_1"]
    assert speaker_ids(messages, names=True)[:3] == ["Jane Doe", "Bot", "Emma"]


def test_channel_metrics_first_response_waiting_and_exchanges():
    conversation = no_models().conversation(TextUnit("c1", chat(), "chat_csv"))
    metrics = channel_metrics(conversation)
    # customer 0 s -> agent 65 s (the bot answers nothing); customer 80 s -> agent 150 s
    assert metrics.first_response_seconds == 65.0 and metrics.customer_wait_seconds == 135.0
    assert metrics.exchanges == 2 and metrics.messages == {"customer": 4, "bot": 1, "agent": 2}
    untimed = conversation.model_copy(update={"duration": 0.0})
    assert channel_metrics(untimed).first_response_seconds is None and channel_metrics(untimed).exchanges == 2


def test_threads_of_every_channel_become_conversations():
    processor = no_models()
    conversations = processor.process_many([TextUnit("c1", chat(), "chat_csv"), TextUnit("e1", email(), "mbox"),
                                            TextUnit("s1", survey(), "survey_csv"), TextUnit("v1", transcript(), "json")])
    by_id = {c.id: c for c in conversations}
    assert [c.channel for c in conversations] == ["chat", "email", "survey", "voice"]
    assert by_id["c1"].source.layout == "text" and by_id["c1"].source.container == "chat_csv"
    assert by_id["c1"].source.sha256 == chat().content_hash() and by_id["c1"].started_at == T0.isoformat()
    assert by_id["c1"].duration == 170.0 and by_id["c1"].language == "en"
    assert by_id["e1"].attachments == ["invoice.pdf"] and by_id["e1"].customer_id == "jane@example.com"
    assert by_id["s1"].survey.nps == 3 and by_id["s1"].survey.follows == "chats__c1"
    # unlabelled transcript speakers get roles from their words, like a mono call
    assert [u.role for u in by_id["v1"].utterances] == ["agent", "customer", "agent"]
    assert by_id["v1"].utterances[1].end == 7.0
    again = Conversation.model_validate_json(by_id["s1"].model_dump_json())
    assert again == by_id["s1"]


def test_names_typed_in_a_chat_and_an_email_signature_are_redacted():
    messages = (Message("customer", "Hi, I am Zbigniew Ofori and my parcel never came.", sent_at=at(0)),
                Message("agent", "Sorry Zbigniew, let me check.", sent_at=at(60)),
                Message("customer", "Thanks,\nZbigniew Ofori\nAccount holder: Zbigniew Ofori", sent_at=at(90)))
    thread = Thread(path=Path("mail.mbox"), key="m1", channel="email", messages=messages, line=1)
    conversation = no_models().process_many([TextUnit("m1", thread, "mbox")])[0]
    assert "Zbigniew" not in conversation.model_dump_json() and "Ofori" not in conversation.model_dump_json()
    assert [u.text for u in conversation.utterances] == [
        "Hi, I am [NAME] and my parcel never came.", "Sorry [NAME], let me check.",
        "Thanks,\n[NAME]\nAccount holder: [NAME]"]


def test_redaction_of_messages_in_json_and_txt(tmp_path):
    conversation = no_models().process_many([TextUnit("c1", chat(), "chat_csv")])[0]
    names = write_outputs(conversation, tmp_path, Settings().output)
    assert names == ["c1.json", "c1.txt"]       # no subtitles or speaker turns for text
    for name in names:
        text = (tmp_path / name).read_text()
        assert "[CARD]" in text and "[NAME]" in text
        assert CARD not in text and "John Smith" not in text and "Jane Doe" not in text
    # the agent named by the input stays, as a call's agent from metadata does; authors are not speaker ids
    assert "Emma" not in (tmp_path / "c1.txt").read_text() and conversation.agent == "Emma"
    assert to_txt(conversation).splitlines()[2] == ("[00:01:05.000] Agent: Hello, I'm sorry to hear that. "
                                                    "Can I take your name?")
    kept = no_models(redact=False).process_many([TextUnit("c1", chat(), "chat_csv")])[0]
    assert CARD in kept.utterances[4].text and kept.utterances[0].speaker == "Jane Doe"
    assert not kept.processing.redacted and conversation.processing.redacted


def test_schema_1_2_calls_still_read():
    old = no_models().conversation(TextUnit("v1", transcript(), "json")).model_dump(mode="json")
    for key in ("channel", "started_at", "customer_id", "agent", "attachments", "survey"):
        del old[key]
    old["schema_version"] = "1.2"
    old["source"] = {"path": "a.wav", "sha256": "x", "size_bytes": 10, "container": "wav", "codec": "pcm_s16le",
                     "sample_rate": 8000, "channels": 2, "duration": 9.5, "layout": "stereo"}
    conversation = Conversation.model_validate(old)
    assert conversation.channel == "voice" and conversation.source.line is None
    assert CallMetadata.of(conversation) == CallMetadata()


def test_a_conversations_own_channel_beats_the_configured_one_not_the_sidecar(tmp_path):
    conversation = no_models().conversation(TextUnit("c1", chat(), "chat_csv"))
    own = CallMetadata.of(conversation)
    assert own == CallMetadata(call_time=T0, agent="Emma", customer_id="cust-1", channel="chat")
    resolver = MetadataResolver(MetadataSettings(channel="voice"))
    assert resolver.resolve("c1", tmp_path / "chats.csv#c1", own=own).channel == "chat"
    sidecar = tmp_path / "meta.csv"
    sidecar.write_text("call_id,channel,customer_id\nc1,email,cust-9\n")
    resolver = MetadataResolver(MetadataSettings(sidecar=str(sidecar)))
    meta = resolver.resolve("c1", tmp_path / "chats.csv#c1", own=own)
    assert (meta.channel, meta.customer_id, meta.call_time) == ("email", "cust-9", T0)


# ------------------------------------------------------------------ the batch, without the text models

def run(settings: Settings, out: Path, *inputs: Path):
    runner = BatchRunner(settings, out, text_processor=lambda: TextProcessor(settings, None))
    return runner.run(list(inputs))


def rows(out: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(out / "callscope.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_batch_one_file_many_conversations_bad_lines_and_a_grown_export(tmp_path):
    settings = Settings()
    threads = generate_threads(6, seed=3)
    export = write_jsonl(threads, tmp_path / "chats.jsonl")
    with export.open("a") as handle:
        handle.write('{"id": "broken", "turns": [{"role": "customer"\n')
    out = tmp_path / "out"
    summary = run(settings, out, export)
    assert summary.processed == 6 and summary.exit_code == EXIT_SOME_FAILED
    assert [error.split(" (")[0] for _, error in summary.failures] == [f"{export}: line 7: not valid JSON"]
    assert rows(out, "SELECT call_id, channel, customer_id, agent FROM conversations ORDER BY call_id")[0] == (
        "chats__chat-00001", "chat", threads[0].customer_id, threads[0].agent)
    assert {f.status for f in Manifest.load(out).files.values()} == {"ok", "failed"}
    assert sorted(p.name for p in out.glob("chats__chat-00001.*")) == ["chats__chat-00001.json", "chats__chat-00001.txt"]

    # the export grows by two chats, one chat changes and another one is gone: only three are processed
    grown = generate_threads(8, seed=3)
    changed = grown[1]
    grown[1] = Thread(changed.path, changed.key, "chat", changed.messages + (Message("customer", "Any news?"),),
                      changed.customer_id, changed.agent)
    write_jsonl(grown[1:], export)
    again = run(settings, out, export)
    assert (again.processed, again.skipped, again.exit_code) == (3, 4, 0)
    # the chat no longer in the export keeps its analysis (as a recording no longer among the inputs)
    assert len(rows(out, "SELECT call_id FROM conversations")) == 8
    assert len(rows(out, "SELECT * FROM utterances WHERE call_id = 'chats__chat-00002'")) == len(grown[1].messages)
    # a store rebuilt from the JSON has the conversations' own channel, customer, agent and time
    first = "SELECT channel, customer_id, agent, call_time FROM conversations WHERE call_id = 'chats__chat-00001'"
    before = rows(out, first)
    assert before == [("chat", threads[0].customer_id, threads[0].agent, threads[0].started_at)]
    rebuild_store(out, settings, say=lambda _: None)
    assert rows(out, first) == before


def test_batch_a_thread_that_cannot_be_analysed_fails_alone(tmp_path):
    export = write_jsonl(generate_threads(3, seed=4), tmp_path / "chats.jsonl")

    class Failing(TextProcessor):    # an analysis error in one conversation of a chunk
        def conversation(self, unit):
            if unit.thread.key == "chat-00002":
                raise ValueError("no model for this\nsecond line")
            return super().conversation(unit)

    settings = Settings()
    summary = BatchRunner(settings, tmp_path / "out", text_processor=lambda: Failing(settings, None)).run([export])
    assert summary.processed == 2 and len(summary.failures) == 1
    assert summary.failures[0][1] == (f"{export}: line 2: cannot analyse conversation 'chat-00002' "
                                      f"(ValueError: no model for this)")
    assert rows(tmp_path / "out", "SELECT count(*) FROM conversations") == [(2,)]


# ------------------------------------------------------------------ with the text models

@pytest.mark.slow
def test_process_many_analyses_like_one_at_a_time(processor):
    """The batched text models give every conversation what enriching it alone gives, and so do
    the vectors they keep for the next batch."""
    settings = Settings()
    many = TextProcessor(settings, processor.enricher)
    units = [TextUnit("c1", chat(), "chat_csv"), TextUnit("e1", email(), "mbox"), TextUnit("s1", survey(), "survey_csv"),
             TextUnit("v1", transcript(), "json")]
    together = many.process_many(units)
    again = many.process_many(units[:1])[0]     # its texts' vectors kept from the batch before
    first = together[0].analysis
    assert (again.analysis.reason.reason, again.analysis.sentiment) == (first.reason.reason, first.sentiment)
    assert again.analysis.sentiment_score == pytest.approx(first.sentiment_score, abs=0.01)
    assert [a.aspect for a in again.analysis.aspects] == [a.aspect for a in first.aspects]
    for unit, conversation in zip(units, together):
        alone = many.conversation(unit)
        processor.enricher.enrich(alone)
        assert [u.sentiment for u in conversation.utterances] == [u.sentiment for u in alone.utterances]
        assert [u.sentiment_score for u in conversation.utterances] == pytest.approx(
            [u.sentiment_score for u in alone.utterances], abs=0.01)
        assert conversation.analysis.reason.reason == alone.analysis.reason.reason
    c1, e1, s1, v1 = together
    assert all(u.sentiment and u.emotion for c in together for u in c.utterances)
    assert c1.utterances[-1].sentiment == "positive" and s1.analysis.sentiment == "negative"
    assert c1.analysis.reason.reason != "unknown" and c1.analysis.channel_metrics.first_response_seconds == 65.0
    assert e1.analysis.channel_metrics.first_response_seconds == 7200.0 and e1.analysis.metrics is None
    assert v1.analysis.metrics is not None and v1.analysis.channel_metrics is None
    assert s1.analysis.metrics is None and s1.analysis.channel_metrics is None


@pytest.mark.slow
def test_mixed_run_calls_and_chats_in_one_store(sample_run, settings, tmp_path):
    """Chats added to the sample calls' output folder in one run over both: the calls are unchanged
    (skipped), the chats analysed, and the store holds both channels; the call pages render."""
    from callscope.api import build_reports
    from tests.conftest import SAMPLES

    out = tmp_path / "out"
    shutil.copytree(sample_run, out)
    export = write_jsonl(generate_threads(4, seed=5), tmp_path / "chats.jsonl")
    summary = BatchRunner(settings, out).run([SAMPLES, export])
    assert summary.processed == 4 and summary.skipped > 0 and summary.exit_code == 0
    channels = dict(rows(out, "SELECT channel, count(*) FROM conversations GROUP BY channel"))
    assert channels["chat"] == 4 and channels["voice"] == summary.skipped
    assert rows(out, "SELECT count(*) FROM metrics WHERE exchanges > 0") == [(4,)]
    build_reports(out)
    page = (out / "reports" / "calls" / "chats__chat-00001.html").read_text()
    assert json.loads((out / "chats__chat-00001.json").read_text())["channel"] == "chat"
    assert generate_threads(4, seed=5)[0].messages[0].text.split(",")[0] in page


def test_batch_threads_emails_across_files_and_leaves_out_the_settings_files(tmp_path):
    """The sample texts with their config: e-mails split over .eml files join one thread, and the metadata
    sidecar beside the inputs is read as metadata, not as an input."""
    inputs = tmp_path / "texts"
    shutil.copytree(ROOT / "sample_text", inputs)
    mails = (inputs / "emails.mbox").read_text(encoding="utf-8").split("\nFrom ")
    (inputs / "emails.mbox").unlink()
    for n, mail in enumerate(mails):
        (inputs / f"mail{n}.eml").write_text(mail.split("\n", 1)[1], encoding="utf-8")   # without its "From " line
    settings = load_settings(ROOT / "sample_text" / "northwind.yaml")
    settings.metadata.sidecar = str(inputs / "calls.csv")
    said: list[str] = []
    summary = BatchRunner(settings, tmp_path / "out", hook=lambda kind, value, **_: kind == hooks.CHECKING or said.append(str(value)),
                          text_processor=lambda: TextProcessor(settings, None)).run([inputs])
    assert (summary.processed, summary.failures) == (4 + 2 + 4, [])
    assert not [line for line in said if "calls.csv" in line]
    threads = rows(tmp_path / "out", "SELECT call_id, channel, customer_id FROM conversations WHERE channel = 'email' "
                                     "ORDER BY call_id")
    assert [(channel, customer) for _, channel, customer in threads] == [("email", "li.wei@example.com"),
                                                                         ("email", "anna.lee@example.com")]
    double_charge = Conversation.model_validate_json((tmp_path / "out" / f"{threads[0][0]}.json").read_bytes())
    assert [u.role for u in double_charge.utterances] == ["customer", "agent"]


def test_a_recordings_json_sidecar_and_the_output_folder_are_not_inputs(tmp_path):
    """`call.json` beside `call.wav` (a transcript exported with the recording, or sample_audio's ground
    truth) would count the call twice; the output folder inside the inputs holds callscope's own JSON."""
    inputs = tmp_path / "calls"
    inputs.mkdir()
    for name in ("lost_card.wav", "lost_card.json"):
        shutil.copy(ROOT / "sample_audio" / name, inputs / name)
    write_jsonl(generate_threads(2, seed=5), inputs / "chats.jsonl")
    (inputs / "out").mkdir()
    (inputs / "out" / "old.json").write_text((inputs / "lost_card.json").read_text())
    said: list[str] = []
    runner = BatchRunner(Settings(), inputs / "out", hook=lambda kind, value, **_: said.append(f"{kind}: {value}"))
    found = discover([inputs], [*Settings().audio.extensions, ".json", ".jsonl"])
    assert runner._not_inputs(found, {".wav"}) == {inputs / "lost_card.json", inputs / "out" / "old.json"}
    assert said == [f"info: 1 JSON file(s) beside a recording of the same name left out (the recording's transcript "
                    f"or annotations), e.g. {inputs / 'lost_card.json'}"]


def test_an_email_thread_keeps_the_kind_of_the_file_it_came_from(tmp_path):
    inputs = tmp_path / "texts"
    inputs.mkdir()
    shutil.copy(ROOT / "sample_text" / "emails.mbox", inputs / "archive.mbox")
    reply = (ROOT / "sample_text" / "emails.mbox").read_text(encoding="utf-8").split("\nFrom ")[1]
    (inputs / "late.eml").write_text(reply.split("\n", 1)[1].replace("<r1@northwind.example>", "<r2@northwind.example>"),
                                     encoding="utf-8")
    settings = load_settings(ROOT / "sample_text" / "northwind.yaml")
    summary = BatchRunner(settings, tmp_path / "out", text_processor=lambda: TextProcessor(settings, None)).run([inputs])
    assert summary.processed == 2
    containers = {Conversation.model_validate_json(p.read_bytes()).source.container
                  for p in (tmp_path / "out").glob("archive__*.json")}
    assert containers == {"mbox"}
