"""The `callscope` command line."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from callscope import __version__, registry
from callscope.config import Settings, load_settings
from callscope.errors import (EXIT_INTERRUPTED, EXIT_SETUP, EXIT_SOME_FAILED, EXIT_USAGE, CallscopeError,
                              ConfigError, ModelError)

app = typer.Typer(help="Offline conversation analytics for contact centres.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
models_app = typer.Typer(help="Bundled and local speech models.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure the models on your own labelled data.", no_args_is_help=True)
app.add_typer(models_app, name="models")
app.add_typer(eval_app, name="eval")

err = Console(stderr=True, soft_wrap=True)
out = Console()
REPORTS_DIR = "reports"     # below the output folder

ConfigOption = typer.Option(None, "--config", "-c", help="YAML file overriding callscope/configs/default.yaml.",
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
    taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", dir_okay=False,
                                            help="Contact-reason taxonomy YAML (overrides enrich.taxonomy)."),
    report: bool = typer.Option(True, "--report/--no-report", help="Write the HTML reports into OUT/reports."),
) -> None:
    """Analyse every recording into OUT: <id>.json/.txt/.srt/.vtt/.rttm, manifest.json, the
    callscope.duckdb store and the HTML reports in OUT/reports.

    Exit codes: 0 all files ok; 1 some files (or the reports) failed (see manifest.json);
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
    if taxonomy:
        settings.enrich.taxonomy = str(taxonomy)
    try:
        from callscope.batch import BatchRunner

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
    if summary.corpus.get("topics") and summary.corpus["topics"].note:
        err.print(f"topics: {summary.corpus['topics'].note}", highlight=False)
    exit_code = summary.exit_code
    if report:
        try:
            written = write_reports(out_dir, out_dir / REPORTS_DIR, settings, keep_pii=not settings.output.redact)
            err.print(f"reports -> {out_dir / REPORTS_DIR / 'index.html'} ({len(written)} files)", highlight=False)
        except CallscopeError as exc:
            err.print(f"[red]error:[/red] reports not written: {exc}", highlight=False)
            exit_code = exit_code or EXIT_SOME_FAILED
    raise typer.Exit(exit_code)


@app.command("export")
def export(
    out_dir: Path = typer.Option(Path("out"), "--out", "-o", help="Output folder of `callscope run` (holds callscope.duckdb)."),
    fmt: str = typer.Option("parquet", "--format", "-f", help="parquet or csv."),
    to: Optional[Path] = typer.Option(None, "--to", help="Folder for the files (default: OUT/export)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Write every store table to one Parquet or CSV file for BI tools."""
    from callscope.store import Store

    if fmt not in ("parquet", "csv"):
        fail(f"--format {fmt!r}: expected parquet or csv", EXIT_USAGE)
    target = to or out_dir / "export"
    try:
        with Store(out_dir, read_only=True) as store:
            counts = store.counts()
            files = store.export(target, fmt)
    except CallscopeError as exc:
        fail(str(exc), EXIT_USAGE)
    if as_json:
        print(json.dumps({"format": fmt, "files": [str(f) for f in files], "rows": counts}))
        return
    err.print(f"{len(files)} tables ({sum(counts.values())} rows) -> {target}", highlight=False)


@app.command("report")
def report(
    out_dir: Path = typer.Option(Path("out"), "--out", "-o", help="Output folder of `callscope run`."),
    to: Optional[Path] = typer.Option(None, "--to", help="Folder for the reports (default: OUT/reports)."),
    db: Optional[Path] = typer.Option(None, "--db", help="Store file (default: OUT/callscope.duckdb)."),
    date_from: Optional[datetime] = typer.Option(None, "--from", formats=["%Y-%m-%d"], help="First call date (YYYY-MM-DD)."),
    date_to: Optional[datetime] = typer.Option(None, "--to", formats=["%Y-%m-%d"], help="Last call date, inclusive."),
    queue: Optional[str] = typer.Option(None, "--queue", help="Only calls of this queue."),
    team: Optional[str] = typer.Option(None, "--team", help="Only calls of this team."),
    keep_pii: bool = typer.Option(False, "--keep-pii", help="Show text stored unredacted (a run with --keep-pii) as is."),
    taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="Taxonomy YAML for proactive actions (default: enrich.taxonomy of the config)."),
    config: Optional[Path] = ConfigOption,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """HTML reports (index, listen, empower, engage, calls/<id>.html) and actions.csv from the store."""
    from callscope.reports import Filters

    settings = settings_from(config)
    if date_from and date_to and date_from > date_to:
        fail(f"--from {date_from:%Y-%m-%d} is after --to {date_to:%Y-%m-%d}", EXIT_USAGE)
    filters = Filters(date_from.date() if date_from else None, date_to.date() if date_to else None, queue, team)
    target = to or out_dir / REPORTS_DIR
    try:
        written = write_reports(out_dir, target, settings, filters, keep_pii=keep_pii, taxonomy=taxonomy, db=db,
                                quiet=as_json)
    except CallscopeError as exc:
        fail(str(exc), EXIT_USAGE)
    pages = [p for p in written if p.suffix == ".html" and p.parent == target]
    calls = [p for p in written if p.suffix == ".html" and p.parent != target]
    actions = next((p for p in written if p.suffix == ".csv"), None)
    n_actions = max(0, len(actions.read_text(encoding="utf-8").splitlines()) - 1) if actions else 0
    if as_json:
        print(json.dumps({"out": str(target), "pages": [str(p) for p in pages], "call_pages": len(calls),
                          "actions_csv": str(actions), "actions": n_actions}))
        return
    err.print(f"{len(pages)} reports, {len(calls)} call pages, {n_actions} actions -> {target / 'index.html'}",
              highlight=False)


def write_reports(out_dir: Path, target: Path, settings, filters=None, *, keep_pii: bool = False,
                  taxonomy: Optional[Path] = None, db: Optional[Path] = None, quiet: bool = False) -> list[Path]:
    """Build the reports of the store in `out_dir` into `target`, with a progress bar."""
    from callscope.reports import Filters, build_reports
    from callscope.store import store_path

    with Progress(console=err, disable=quiet or not err.is_terminal, transient=True) as progress:
        task = progress.add_task("Writing call pages", total=None)
        return build_reports(db or store_path(out_dir), target, settings, filters or Filters(), keep_pii=keep_pii,
                             taxonomy=taxonomy,
                             on_call_page=lambda done, total: progress.update(task, completed=done, total=total))


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


EvalData = typer.Option(..., "--data", exists=False, dir_okay=False, help="JSONL file of labelled texts.")
EvalModel = typer.Option(None, "--model", "-m", help="heads, or a transformers model path or hub name "
                                                     "(default: enrich.<task>_model of the config).")


@eval_app.command("reasons")
def eval_reasons(
    data: Path = EvalData,
    text_field: str = typer.Option("text", "--text-field"),
    label_field: str = typer.Option("label", "--label-field"),
    taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="Taxonomy YAML (default callscope/configs/taxonomy.yaml)."),
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
    print_figures(result, "reason")
    out.print(f"in scope: {result['n_in_scope']}, top-1 accuracy (threshold ignored) {_share(result['accuracy_top1'])}, "
              f"unknown {_share(result['unknown_rate_in_scope'])}; out of scope: {result['n_out_of_scope']}, "
              f"unknown {_share(result['unknown_rate_out_of_scope'])} (threshold {result['threshold']})",
              highlight=False)


def _share(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_figures(result: dict, what: str) -> None:
    """Per-class figures, the confusion table (or the top confusions) and the totals of an evaluation."""
    if result["confusion"]:
        table = Table(what, "precision", "recall", "F1", "support", title="Per class")
        for label, row in result["per_class"].items():
            table.add_row(label, f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}",
                          str(row["support"]))
        out.print(table)
        labels, matrix = result["confusion"]["labels"], result["confusion"]["matrix"]
        table = Table("true \\ predicted", *labels, title="Confusion")
        for label, row in zip(labels, matrix):
            table.add_row(label, *map(str, row))
        out.print(table)
    else:
        table = Table(what, "predicted", "count", title="Most frequent confusions")
        for row in result["top_confusions"]:
            table.add_row(row["label"], row["predicted"], str(row["count"]))
        out.print(table)
    out.print(f"accuracy {_share(result['accuracy'])}, macro-F1 {_share(result['macro_f1'])}, n {result['n']}",
              highlight=False)


def _eval_text_classifier(task: str, data: Path, text_field: str, label_field: str, model: Optional[str],
                          config: Optional[Path], as_json: bool, opinions: bool = False) -> None:
    from callscope.evaluation.classification import evaluate
    from callscope.nlp.answers import AnswerWordsAside
    from callscope.nlp.textclf import load_text_classifier

    settings = settings_from(config).enrich
    spec = model or getattr(settings, f"{task}_model")
    try:
        with err.status(f"Loading the {task} model"):
            classifier = load_text_classifier(task, spec, getattr(settings, f"{task}_labels"))
            if opinions and settings.opinion_weight:
                from callscope.nlp.opinions import OpinionAdjusted, OpinionModel
                from callscope.nlp.taxonomy import load_taxonomy

                model_opinions = OpinionModel(load_taxonomy(settings.taxonomy_path()))
                classifier = OpinionAdjusted(classifier, model_opinions, settings.opinion_weight)
            classifier = AnswerWordsAside(classifier)     # as `callscope run` reads utterances
        with Progress(console=err, transient=True) as progress:
            bar = progress.add_task(f"Classifying ({task})", total=None)
            result = evaluate(data, classifier, text_field, label_field,
                              lambda done, total: progress.update(bar, completed=done, total=total))
    except ModelError as exc:
        fail(str(exc), EXIT_SETUP)
    except CallscopeError as exc:
        fail(str(exc), EXIT_USAGE)
    result["model"] = spec
    if opinions:
        result["opinion_weight"] = settings.opinion_weight
    if as_json:
        print(json.dumps(result))
        return
    print_figures(result, task)



@eval_app.command("sentiment")
def eval_sentiment(
    data: Path = EvalData,
    text_field: str = typer.Option("text", "--text-field"),
    label_field: str = typer.Option("label", "--label-field", help="Labels: negative, neutral, positive."),
    model: Optional[str] = EvalModel,
    opinions: bool = typer.Option(True, "--opinions/--no-opinions",
                                  help="Mix in the taxonomy's opinion model as `callscope run` does "
                                       "(enrich.opinion_weight); --no-opinions: without it."),
    config: Optional[Path] = ConfigOption,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Sentiment accuracy, macro-F1, per-class figures and confusion table on labelled texts."""
    _eval_text_classifier("sentiment", data, text_field, label_field, model, config, as_json, opinions)


@eval_app.command("emotion")
def eval_emotion(
    data: Path = EvalData,
    text_field: str = typer.Option("text", "--text-field"),
    label_field: str = typer.Option("label", "--label-field",
                                    help="Labels: anger, disgust, fear, joy, neutral, sadness, surprise."),
    model: Optional[str] = EvalModel,
    config: Optional[Path] = ConfigOption,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Emotion accuracy, macro-F1, per-class figures and confusion table on labelled texts."""
    _eval_text_classifier("emotion", data, text_field, label_field, model, config, as_json)


@eval_app.command("roles")
def eval_roles(
    data: Path = EvalData,
    text_field: str = typer.Option("text", "--text-field"),
    label_field: str = typer.Option("role", "--label-field", help="Labels: agent, customer."),
    config: Optional[Path] = ConfigOption,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Agent-or-customer accuracy of single sentences, as mono calls heard as one voice are split."""
    from callscope.evaluation.classification import evaluate
    from callscope.nlp.role_words import RoleByWords, role_examples
    from callscope.pipeline.one_voice import SentenceRoles

    settings = settings_from(config)
    try:
        with err.status("Loading the embedder and learning the role examples"):
            classifier = SentenceRoles(RoleByWords(*role_examples(settings)), settings.roles)
        result = evaluate(data, classifier, text_field, label_field)
    except CallscopeError as exc:
        fail(str(exc), EXIT_USAGE)
    if as_json:
        print(json.dumps(result))
        return
    print_figures(result, "role")


@eval_app.command("topics")
def eval_topics(
    data: Path = typer.Option(..., "--data", help="JSONL file of labelled texts."),
    text_field: str = typer.Option("text", "--text-field"),
    label_field: str = typer.Option("label", "--label-field"),
    min_topic_size: Optional[int] = typer.Option(None, "--min-topic-size", min=2,
                                                 help="Overrides topics.min_topic_size."),
    config: Optional[Path] = ConfigOption,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Topics against labels: NMI, ARI, outlier share, number of topics, keyword coherence (NPMI)."""
    from callscope.evaluation.topics import evaluate

    settings = settings_from(config)
    if min_topic_size:
        settings.topics.min_topic_size = min_topic_size
    with err.status("Embedding and clustering the texts"):
        try:
            result = evaluate(data, settings.topics, text_field, label_field)
        except CallscopeError as exc:
            fail(str(exc), EXIT_USAGE)
    if as_json:
        print(json.dumps(result))
        return
    table = Table("topic", "label", "texts")
    for topic in sorted(result["topics"], key=lambda t: -t["size"])[:20]:
        table.add_row(str(topic["topic_id"]), topic["label"], str(topic["size"]))
    out.print(table)
    npmi = "-" if result["npmi"] is None else f"{result['npmi']:.3f}"
    out.print(f"NMI {result['nmi']:.3f}, ARI {result['ari']:.3f}, outliers {result['outlier_share']:.1%}, "
              f"{result['n_topics']} topics for {result['n_labels']} labels, NPMI {npmi} "
              f"({result['n']} texts, {result['embedder']})", highlight=False)
    if result["note"]:
        err.print(result["note"], highlight=False)


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
