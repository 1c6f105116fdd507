"""The `callscope` command line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from callscope import __version__, registry
from callscope.batch import EXIT_INTERRUPTED, EXIT_SETUP, EXIT_USAGE, BatchRunner
from callscope.config import Settings, load_settings
from callscope.errors import CallscopeError, ConfigError, ModelError

app = typer.Typer(help="Offline conversation analytics for contact centres.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
models_app = typer.Typer(help="Bundled and local speech models.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure the models on your own labelled data.", no_args_is_help=True)
app.add_typer(models_app, name="models")
app.add_typer(eval_app, name="eval")

err = Console(stderr=True, soft_wrap=True)
out = Console()

ConfigOption = typer.Option(None, "--config", "-c", help="YAML file overriding configs/default.yaml.",
                            exists=False, dir_okay=False)


def fail(message: str, code: int) -> None:
    """Print a one-line error and exit."""
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


def settings_from(config: Optional[Path]) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)


def version_callback(value: bool) -> None:
    if value:
        out.print(f"callscope {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True,
                                      help="Show the version and exit.")) -> None:
    """Transcribe and analyse recorded customer conversations, offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


@app.command()
def run(
    inputs: list[Path] = typer.Argument(..., help="Audio files and/or folders (searched recursively)."),
    out_dir: Path = typer.Option(Path("out"), "--out", "-o", help="Output folder."),
    config: Optional[Path] = ConfigOption,
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Calls processed at once."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="ASR model (overrides asr.model)."),
    language: Optional[str] = typer.Option(None, "--language", "-l", help="Force a language, e.g. en or fr."),
    num_speakers: Optional[int] = typer.Option(None, "--num-speakers", min=1, help="Mono calls: exact speaker count."),
    min_speakers: Optional[int] = typer.Option(None, "--min-speakers", min=1, help="Mono calls: at least this many."),
    max_speakers: Optional[int] = typer.Option(None, "--max-speakers", min=1, help="Mono calls: at most this many."),
    keep_pii: bool = typer.Option(False, "--keep-pii", help="Do not redact card numbers, e-mails... in outputs."),
) -> None:
    """Transcribe every recording into OUT: <id>.json/.txt/.srt/.vtt/.rttm and manifest.json.

    Exit codes: 0 all files ok; 1 some files failed (see manifest.json);
    2 bad arguments or config; 3 model missing or unusable; 130 interrupted.
    """
    settings = settings_from(config)
    if jobs:
        settings.run.jobs = jobs
    if model:
        settings.asr.model = model
    if language:
        settings.asr.language = language
    for key, value in (("num_speakers", num_speakers), ("min_speakers", min_speakers), ("max_speakers", max_speakers)):
        if value:
            setattr(settings.speakers, key, value)
    settings.output.redact = settings.output.redact and not keep_pii
    try:
        summary = BatchRunner(settings, out_dir, err).run(inputs)
    except ModelError as exc:
        fail(str(exc), EXIT_SETUP)
    except CallscopeError as exc:
        fail(str(exc), EXIT_USAGE)
    except KeyboardInterrupt:
        err.print("interrupted: finished calls are saved; run the same command again to complete the batch")
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)
    speed = summary.audio_seconds / summary.wall_seconds if summary.wall_seconds else 0.0
    err.print(
        f"{summary.processed} processed, {summary.skipped} unchanged (skipped), {summary.duplicates} duplicate(s), "
        f"{len(summary.failures)} failed; {summary.audio_seconds / 60:.1f} min of audio at {speed:.1f}x real time "
        f"-> {out_dir}", highlight=False)
    raise typer.Exit(summary.exit_code)


@models_app.command("list")
def models_list() -> None:
    """Bundled models and whether they are ready to use."""
    table = Table("name", "description", "status")
    for name, model in registry.BUNDLED.items():
        table.add_row(name, model.description, registry.status(name))
    out.print(table)


@models_app.command("verify")
def models_verify(name: Optional[str] = typer.Argument(None, help="One model; default: all bundled.")) -> None:
    """Check model files against their pinned sha256 (joins split models on first use)."""
    names = [name] if name else list(registry.BUNDLED)
    bad = 0
    for each in names:
        result = registry.status(each)
        bad += result != "ok"
        (out if result == "ok" else err).print(f"{each}: {result}", highlight=False)
    raise typer.Exit(EXIT_SETUP if bad else 0)


@models_app.command("path")
def models_path(name: str = typer.Argument(..., help="Bundled name, local directory or hub id.")) -> None:
    """Print where a model's files are (materialising a split model first)."""
    try:
        out.print(registry.resolve(name), highlight=False, soft_wrap=True)
    except ModelError as exc:
        fail(str(exc), EXIT_SETUP)


@eval_app.command("asr")
def eval_asr(
    refs: Path = typer.Option(..., "--refs", help="TSV with columns audio and text."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="ASR model (default from config)."),
    config: Optional[Path] = ConfigOption,
    language: Optional[str] = typer.Option(None, "--language", "-l", help="Force a language."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Word error rate of the transcription pipeline against reference transcripts."""
    from callscope.evaluation.asr import evaluate, read_refs
    from callscope.files import sha256_file
    from callscope.pipeline.ingest import InputFile
    from callscope.pipeline.process import CallProcessor

    settings = settings_from(config)
    settings.asr.model = model or settings.asr.model
    settings.asr.language = language or settings.asr.language
    settings.output.redact = False  # references hold the digits as said
    settings.speakers.diarise = False  # WER needs words, not speakers
    try:
        references = read_refs(refs)
        processor = CallProcessor(settings)
    except ModelError as exc:
        fail(str(exc), EXIT_SETUP)
    except CallscopeError as exc:
        fail(str(exc), EXIT_USAGE)

    def transcribe(path: Path) -> str:
        return processor.process(InputFile(path, path.stem), sha256_file(path)).text()

    with Progress(console=err) as progress:
        task = progress.add_task("Transcribing references", total=len(references))
        try:
            result = evaluate(references, transcribe, lambda: progress.advance(task))
        except CallscopeError as exc:
            fail(str(exc), EXIT_USAGE)
    result["model"] = settings.asr.model
    if as_json:
        print(json.dumps(result))
        return
    table = Table("audio", "WER")
    for row in result["files"]:
        table.add_row(Path(row["audio"]).name, "-" if row["wer"] is None else f"{row['wer']:.2%}")
    out.print(table)
    out.print(f"WER {result['wer']:.2%} over {result['n_files']} files, {result['reference_words']} reference words "
              f"(S {result['substitutions']}, D {result['deletions']}, I {result['insertions']}), model {result['model']}")


@eval_app.command("reasons")
def eval_reasons(
    data: Path = typer.Argument(..., help="JSONL file of labelled texts."),
    text_field: str = typer.Option("text", "--text-field"),
    label_field: str = typer.Option("label", "--label-field"),
    taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="Taxonomy YAML (default configs/taxonomy.yaml)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Contact-reason accuracy, macro-F1, confusions, and the unknown rate on out-of-scope labels."""
    from callscope.evaluation.reasons import evaluate
    from callscope.nlp.reasons import load_classifier

    with err.status("Loading the embedders and the taxonomy"):
        try:
            result = evaluate(data, load_classifier(taxonomy), text_field, label_field)
        except CallscopeError as exc:
            fail(str(exc), EXIT_USAGE)
    if as_json:
        print(json.dumps(result))
        return
    out.print_json(json.dumps(result))


@eval_app.command("diarization")
def eval_diarization(
    audio: Path = typer.Option(..., "--audio", help="Folder with one audio file per RTTM uri (<uri>.wav, .flac...)."),
    rttm: Path = typer.Option(..., "--rttm", help="Reference RTTM file."),
    uem: Optional[Path] = typer.Option(None, "--uem", help="Scored regions (UEM); default: everything."),
    collar: float = typer.Option(0.0, "--collar", min=0, help="Total collar width (s) around reference boundaries."),
    skip_overlap: bool = typer.Option(False, "--skip-overlap", help="Do not score overlapping speech."),
    num_speakers: Optional[int] = typer.Option(None, "--num-speakers", min=1),
    min_speakers: Optional[int] = typer.Option(None, "--min-speakers", min=1),
    max_speakers: Optional[int] = typer.Option(None, "--max-speakers", min=1),
    config: Optional[Path] = ConfigOption,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Diarisation error rate (pyannote.metrics) per file and overall, with its parts."""
    from callscope.evaluation.diarization import evaluate_folder

    settings = settings_from(config)
    for key, value in (("num_speakers", num_speakers), ("min_speakers", min_speakers), ("max_speakers", max_speakers)):
        if value:
            setattr(settings.speakers, key, value)
    with Progress(console=err) as progress:
        task = progress.add_task("Diarising", total=None)
        try:
            result = evaluate_folder(audio, rttm, uem, collar, skip_overlap, settings,
                                     on_file=lambda total: progress.update(task, total=total, advance=1))
        except ModelError as exc:
            fail(str(exc), EXIT_SETUP)
        except CallscopeError as exc:
            fail(str(exc), EXIT_USAGE)
    if as_json:
        print(json.dumps(result))
        return
    table = Table("file", "DER", "missed", "false alarm", "confusion", "speech (s)")
    for row in result["files"] + [{**result["overall"], "uri": "overall"}]:
        table.add_row(row["uri"], f"{row['der']:.2%}", f"{row['missed']:.1f}", f"{row['false_alarm']:.1f}",
                      f"{row['confusion']:.1f}", f"{row['total']:.1f}")
    out.print(table)
    out.print(f"DER {result['der']:.2%} (collar {collar} s, overlap {'skipped' if skip_overlap else 'scored'})")


if __name__ == "__main__":
    app()
