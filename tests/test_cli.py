"""The command line as a thin layer: every option reaches the library, errors map to the documented exit codes
and are printed as plain text. The library calls that load speech models are replaced where the test is about
the option mapping; one real `callscope run` (tiny.en, one 60 s stereo call) checks the whole way through."""

from __future__ import annotations

import ast
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from callscope import api
from callscope.batch import RunSummary
from callscope.cli import app
from callscope.channels.detect import KINDS_HELP
from callscope.config import DEFAULT_TAXONOMY, Settings
from callscope.errors import ConfigError, ModelError
from callscope.store import Store
from tests.conftest import SAMPLES
from tests.fixtures.synthetic_corpus import build_store

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def invoke(args: list[str]):
    return runner.invoke(app, args)


@pytest.fixture
def captured(monkeypatch, tmp_path):
    """`api.run_batch` replaced: records what the CLI passed and returns `captured["summary"]`."""
    seen: dict = {"summary": RunSummary(run_id="test", out=tmp_path / "out", processed=1, audio_seconds=60.0,
                                        wall_seconds=6.0)}

    def run_batch(inputs, out, settings, hook, *, reports):
        seen.update(inputs=inputs, out=out, settings=settings, reports=reports)
        hook("warning", "a [bold]warning[/bold] about x[1].wav")
        if isinstance(seen["summary"], BaseException):
            raise seen["summary"]
        return seen["summary"]

    monkeypatch.setattr(api, "run_batch", run_batch)
    return seen


def test_version():
    result = invoke(["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == "callscope 0.1.0"


def test_a_bad_model_name_fails_before_any_model_or_analysis_code_is_imported(tmp_path):
    """`callscope run --model nonsense` ends at the settings check: the command line and that check
    import no model, data-frame or store library (they cost seconds of CPU)."""
    heavy = ["torch", "faster_whisper", "ctranslate2", "pyannote.audio", "sentence_transformers", "pandas",
             "scipy", "duckdb", "callscope.batch"]
    code = ("import sys\nfrom callscope.cli import app\n"
            f"try:\n    app([\"run\", {str(tmp_path)!r}, \"--out\", {str(tmp_path / 'out')!r}, \"--model\", \"nonsense\"])\n"
            f"except SystemExit as exc:\n    print(exc.code, [m for m in {heavy!r} if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.strip() == "3 []", done.stdout + done.stderr
    assert "model 'nonsense': unknown name" in done.stderr and not (tmp_path / "out").exists()


def test_run_options_reach_the_settings(captured, tmp_path):
    config = tmp_path / "my.yaml"
    config.write_text("asr:\n  beam_size: 2\n")
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(DEFAULT_TAXONOMY.read_text(encoding="utf-8"))
    result = invoke(["run", str(tmp_path / "calls"), "-o", str(tmp_path / "out"), "-c", str(config), "-j", "2",
                     "-m", "tiny.en", "-l", "fr", "--num-speakers", "2", "--min-speakers", "1",
                     "--max-speakers", "3", "--keep-pii", "--taxonomy", str(taxonomy), "--no-report"])
    assert result.exit_code == 0, result.output
    settings: Settings = captured["settings"]
    assert (settings.asr.beam_size, settings.asr.model, settings.asr.language, settings.run.jobs) == (2, "tiny.en", "fr", 2)
    assert (settings.speakers.num_speakers, settings.speakers.min_speakers, settings.speakers.max_speakers) == (2, 1, 3)
    assert settings.output.redact is False and settings.enrich.taxonomy == str(taxonomy)
    assert captured["inputs"] == [tmp_path / "calls"] and captured["out"] == tmp_path / "out"
    assert captured["reports"] is False
    assert "! a [bold]warning[/bold] about x[1].wav" in result.stderr     # printed as is, not as markup
    assert "1 processed, 0 unchanged (skipped), 0 duplicate(s), 0 failed; 1.0 min of audio at 10.0x" in result.stderr


def test_run_defaults(captured, tmp_path):
    result = invoke(["run", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert captured["out"] == Path("out") and captured["reports"] is True
    assert captured["settings"] == Settings()


@pytest.mark.parametrize("outcome, code, message", [
    (ModelError("whisper-x: model not found"), 3, "error: whisper-x: model not found"),
    (ConfigError("bad.yaml: reasons[0].id: String should match pattern '^[a-z0-9][a-z0-9_]*$'"), 2,
     "error: bad.yaml: reasons[0].id: String should match pattern '^[a-z0-9][a-z0-9_]*$'"),
    (RunSummary(run_id="t", out=Path("o"), failures=[("a", "a.wav: cannot decode")]), 1, "1 failed"),
    (RunSummary(run_id="t", out=Path("o"), report_error="o/[x]: disk full"), 1, "error: reports not written: o/[x]: disk full"),
])
def test_run_exit_codes_and_plain_messages(captured, tmp_path, outcome, code, message):
    captured["summary"] = outcome
    result = invoke(["run", str(tmp_path)])
    assert result.exit_code == code and message in result.stderr, result.output


def test_interrupt_exits_130_at_once(captured, tmp_path, monkeypatch):
    def exit_now(code):
        raise SystemExit(code)

    monkeypatch.setattr(os, "_exit", exit_now)
    captured["summary"] = KeyboardInterrupt()
    result = invoke(["run", str(tmp_path)])
    assert result.exit_code == 130 and "finished calls are saved" in result.stderr


def test_bad_option_values_exit_2(tmp_path):
    assert invoke(["run", str(tmp_path), "--jobs", "0"]).exit_code == 2
    config = tmp_path / "bad.yaml"
    config.write_text("asr:\n  beem_size: 3\n")
    result = invoke(["run", str(tmp_path), "--config", str(config)])
    assert result.exit_code == 2 and result.stderr.strip() == f"error: {config}: asr.beem_size: unknown key"


@pytest.fixture(scope="module")
def small_store(tmp_path_factory) -> Path:
    return build_store(tmp_path_factory.mktemp("small") / "out", n=40, seed=4, survey_share=0.0, events=False)


def test_report_writes_into_the_to_folder_with_every_filter(small_store, tmp_path):
    config = tmp_path / "my.yaml"
    config.write_text("reports:\n  top: 3\n")
    target = tmp_path / "into [here]"
    result = invoke(["report", "--out", str(small_store.parent), "--to", str(target), "--db", str(small_store),
                     "--from", "2020-01-01", "--until", "2030-12-31", "--queue", "orders", "--team", "North",
                     "--keep-pii", "--taxonomy", str(DEFAULT_TAXONOMY), "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["out"] == str(target) and (target / "index.html").is_file()
    assert summary["call_pages"] == len(list((target / "calls").glob("*.html"))) > 0
    assert not (small_store.parent / "reports").exists()
    short = invoke(["report", "-o", str(small_store.parent), "-t", str(tmp_path / "short")])
    assert short.exit_code == 0 and f"-> {tmp_path / 'short' / 'index.html'}" in short.stderr
    backwards = invoke(["report", "--out", str(small_store.parent), "--from", "2026-02-01", "--until", "2026-01-01"])
    assert backwards.exit_code == 2 and "--from 2026-02-01 is after --until 2026-01-01" in backwards.stderr


def test_errors_print_brackets_and_regexes_as_they_are(tmp_path):
    folder = tmp_path / "calls [2026]"
    with Store(folder):
        pass
    taxonomy = tmp_path / "bad.yaml"
    taxonomy.write_text(DEFAULT_TAXONOMY.read_text(encoding="utf-8").replace("id: parcel_late", "id: Parcel-Late", 1))
    result = invoke(["report", "--out", str(folder), "--taxonomy", str(taxonomy)])
    assert result.exit_code == 2
    assert "[a-z0-9][a-z0-9_]*" in result.stderr and str(taxonomy) in result.stderr
    missing = invoke(["report", "--out", str(tmp_path / "none [x]")])
    assert missing.exit_code == 2 and f"{tmp_path / 'none [x]' / 'callscope.duckdb'}" in missing.stderr


def test_export_options(small_store, tmp_path):
    result = invoke(["export", "--out", str(small_store.parent), "--format", "csv", "--to", str(tmp_path / "bi"),
                     "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"]["conversations"] == 40
    assert (tmp_path / "bi" / "conversations.csv").read_text().count("\n") == 41
    config = tmp_path / "team.yaml"
    config.write_text("output:\n  group_readable: true\n")
    default = invoke(["export", "-o", str(small_store.parent), "-f", "parquet", "--config", str(config)])
    assert default.exit_code == 0 and (small_store.parent / "export" / "conversations.parquet").is_file()
    assert stat.S_IMODE((small_store.parent / "export" / "conversations.parquet").stat().st_mode) == 0o640
    assert invoke(["export", "--out", str(small_store.parent), "--format", "xlsx"]).exit_code == 2
    missing = invoke(["export", "--out", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "no store here yet" in missing.stderr


def test_models_commands():
    listed = invoke(["models", "list"])
    assert listed.exit_code == 0 and "tiny.en" in listed.stdout
    verified = invoke(["models", "verify", "tiny.en"])
    assert verified.exit_code == 0 and verified.stdout.strip() == "tiny.en: ok"
    path = invoke(["models", "path", "tiny.en"])
    assert path.exit_code == 0 and Path(path.stdout.strip()).is_dir()
    missing = invoke(["models", "path", "no-such-model"])
    assert missing.exit_code == 3 and missing.stderr.startswith("error: model 'no-such-model': unknown name")


def test_eval_asr_options(monkeypatch, tmp_path):
    refs = tmp_path / "refs.tsv"
    shutil.copy(SAMPLES / "lost_card.wav", tmp_path / "call.wav")
    refs.write_text("audio\ttext\ncall.wav\tmy card is lost\n")
    config = tmp_path / "my.yaml"
    config.write_text("asr:\n  beam_size: 3\n")
    seen = []

    class Heard:
        def text(self) -> str:
            return "my card was lost"

    def analyse(path, settings):
        seen.append((path, settings))
        return Heard()

    monkeypatch.setattr(api, "analyse", analyse)
    result = invoke(["eval", "asr", "--refs", str(refs), "--model", "tiny.en", "--language", "en",
                     "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["wer"] == 0.25 and figures["model"] == "tiny.en"
    ((path, settings),) = seen
    assert path == tmp_path / "call.wav" and (settings.asr.model, settings.asr.language, settings.asr.beam_size) == (
        "tiny.en", "en", 3)
    assert not settings.output.redact and not settings.speakers.diarise
    table = invoke(["eval", "asr", "--refs", str(refs), "-m", "tiny.en", "-l", "en"])
    assert table.exit_code == 0 and "WER 25.00%" in table.stdout


def test_eval_diarization_options(monkeypatch, tmp_path):
    seen = {}

    def evaluate_folder(audio, rttm, uem, collar, skip_overlap, settings, on_file):
        seen.update(audio=audio, rttm=rttm, uem=uem, collar=collar, skip_overlap=skip_overlap, speakers=settings.speakers)
        on_file(1)
        row = {"der": 0.1, "missed": 1.0, "false_alarm": 0.5, "confusion": 0.5, "total": 20.0}
        return {"files": [{**row, "uri": "a"}], "overall": row, "der": 0.1}

    import callscope.evaluation.diarization as diarization
    monkeypatch.setattr(diarization, "evaluate_folder", evaluate_folder)
    config = tmp_path / "my.yaml"
    config.write_text("speakers:\n  max_speakers: 4\n")
    result = invoke(["eval", "diarization", "--audio", str(tmp_path), "--rttm", str(tmp_path / "ref.rttm"),
                     "--uem", str(tmp_path / "ref.uem"), "--collar", "0.5", "--skip-overlap", "--num-speakers", "2",
                     "--min-speakers", "2", "--max-speakers", "3", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["der"] == 0.1
    assert (seen["uem"], seen["collar"], seen["skip_overlap"]) == (tmp_path / "ref.uem", 0.5, True)
    assert (seen["speakers"].num_speakers, seen["speakers"].min_speakers, seen["speakers"].max_speakers) == (2, 2, 3)
    table = invoke(["eval", "diarization", "--audio", str(tmp_path), "--rttm", str(tmp_path / "ref.rttm")])
    assert table.exit_code == 0 and "DER 10.00% (collar 0.0 s, overlap scored)" in table.stdout


@pytest.mark.slow
def test_one_real_run(tmp_path):
    calls = tmp_path / "calls"
    calls.mkdir()
    shutil.copy(SAMPLES / "lost_card.wav", calls)
    result = invoke(["run", str(calls), "--out", str(tmp_path / "out"), "--model", "tiny.en"])
    assert result.exit_code == 0, result.output
    assert "1 processed" in result.stderr and (tmp_path / "out" / "reports" / "index.html").is_file()
    conversation = json.loads((tmp_path / "out" / "lost_card.json").read_text())
    assert [s["role"] for s in conversation["speakers"]] == ["agent", "customer"]


def _options(command, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], set[frozenset[str]]]:
    """Every (sub)command's options, each as the set of its spellings (typer's click: duck-typed)."""
    own = {path: {frozenset(p.opts + p.secondary_opts) for p in command.params
                  if p.param_type_name == "option" and p.name != "help"}}
    if hasattr(command, "commands"):
        found = own if own[path] else {}
        for name, sub in command.commands.items():
            found.update(_options(sub, path + (name,)))
        return found
    return own


def _invocations() -> list[list[str]]:
    """The literal strings of every `invoke(app, [...])` / `invoke([...])` argument list in the tests."""
    found = []
    for path in (ROOT / "tests").glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "invoke":
                lists = [a for a in node.args if isinstance(a, ast.List)]
                if lists:
                    found.append([e.value for e in lists[0].elts
                                  if isinstance(e, ast.Constant) and isinstance(e.value, str)])
    return found


def test_every_option_is_exercised_by_a_cli_runner_test():
    invocations = _invocations()
    missing = []
    for command, options in _options(typer.main.get_command(app)).items():
        used = {word for words in invocations if tuple(words[:len(command)]) == command for word in words}
        missing += [f"{' '.join(command)} {sorted(spellings)[0]}" for spellings in options if not spellings & used]
    assert missing == []


def test_store_rebuild_moves_the_store_aside_and_says_so(small_store, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(small_store.parent, out)
    config = tmp_path / "my.yaml"
    config.write_text("reports:\n  top: 3\n")
    result = invoke(["store", "rebuild", "--out", str(out), "--config", str(config)])
    assert result.exit_code == 0, result.output
    aside = list(out.glob("callscope.duckdb.damaged-*"))
    assert len(aside) == 1 and "rebuild requested" in result.stderr and aside[0].name in result.stderr
    assert (out / "callscope.duckdb").is_file()
    nothing = invoke(["store", "rebuild", "--out", str(tmp_path / "nothing here")])
    assert nothing.exit_code == 3 and "not an output folder" in nothing.stderr and not (tmp_path / "nothing here").exists()


def test_run_redact_audio(captured, tmp_path):
    result = invoke(["run", str(tmp_path), "--redact-audio"])
    assert result.exit_code == 0, result.output
    assert captured["settings"].output.redact_audio is True and captured["settings"].output.redact is True


def test_redact_audio_with_keep_pii_is_a_config_error(captured, tmp_path):
    result = invoke(["run", str(tmp_path), "--redact-audio", "--keep-pii"])
    assert result.exit_code == 2 and "redact_audio needs redact" in result.stderr and "settings" not in captured


def test_run_help_lists_every_input_kind():
    result = invoke(["run", "--help"])
    assert result.exit_code == 0
    for line in ["audio: wav, flac", *KINDS_HELP.values()]:
        assert " ".join(line.split()[:4]) in " ".join(result.stdout.split()), line
