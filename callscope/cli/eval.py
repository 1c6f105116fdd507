"""`callscope eval`: measure the models on your own labelled data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.progress import Progress
from rich.table import Table

from callscope import api
from callscope.cli.common import ConfigOption, JsonOption, err, exits, out
from callscope.config import load_settings

app = typer.Typer(help="Measure the models on your own labelled data.", no_args_is_help=True)


@app.command("asr")
@exits()
def eval_asr(
    refs: Path = typer.Option(..., "--refs", help="TSV with columns audio and text."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="ASR model (default from config)."),
    config: Optional[Path] = ConfigOption,
    language: Optional[str] = typer.Option(None, "--language", "-l", help="Force a language."),
    as_json: bool = JsonOption,
) -> None:
    """Word error rate of the transcription pipeline against reference transcripts."""
    from callscope.evaluation.asr import evaluate, read_refs

    settings = load_settings(config)
    settings.asr.model = model or settings.asr.model
    settings.asr.language = language or settings.asr.language
    settings.output.redact = False  # references hold the digits as said
    settings.speakers.diarise = False  # WER needs words, not speakers
    references = read_refs(refs)
    with Progress(console=err) as progress:
        task = progress.add_task("Transcribing references", total=len(references))
        result = evaluate(references, lambda path: api.analyse(path, settings).text(),
                          lambda: progress.advance(task))
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


TextField = typer.Option("text", "--text-field", help="The field of each JSON line holding the text.")
EvalData = typer.Option(..., "--data", exists=False, dir_okay=False, help="JSONL file of labelled texts.")
EvalModel = typer.Option(None, "--model", "-m", help="heads, or a transformers model path or hub name "
                                                     "(default: enrich.<task>_model of the config).")


@app.command("reasons")
@exits()
def eval_reasons(
    data: Path = EvalData,
    text_field: str = TextField,
    label_field: str = typer.Option("label", "--label-field"),
    taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="Taxonomy YAML (default callscope/configs/taxonomy.yaml)."),
    as_json: bool = JsonOption,
) -> None:
    """Contact-reason accuracy, macro-F1, confusions, and the unknown rate on out-of-scope labels."""
    from callscope.evaluation.reasons import evaluate
    from callscope.nlp.reasons import load_classifier

    with err.status("Loading the embedders and the taxonomy"):
        result = evaluate(data, load_classifier(taxonomy), text_field, label_field)
    if as_json:
        print(json.dumps(result))
        return
    print_figures(result, "reason")
    out.print(f"in scope: {result['n_in_scope']}, top-1 accuracy (threshold ignored) {_share(result['accuracy_top1'])}, "
              f"unknown {_share(result['unknown_rate_in_scope'])}; out of scope: {result['n_out_of_scope']}, "
              f"unknown {_share(result['unknown_rate_out_of_scope'])} (threshold {result['threshold']})")


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
    out.print(f"accuracy {_share(result['accuracy'])}, macro-F1 {_share(result['macro_f1'])}, n {result['n']}")


def _eval_text_classifier(task: str, data: Path, text_field: str, label_field: str, model: Optional[str],
                          config: Optional[Path], as_json: bool, opinions: bool = False) -> None:
    from callscope.evaluation.classification import evaluate
    from callscope.nlp.answers import AnswerWordsAside
    from callscope.nlp.textclf import load_text_classifier

    settings = load_settings(config).enrich
    spec = model or getattr(settings, f"{task}_model")
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
    result["model"] = spec
    if opinions:
        result["opinion_weight"] = settings.opinion_weight
    if as_json:
        print(json.dumps(result))
        return
    print_figures(result, task)


@app.command("sentiment")
@exits()
def eval_sentiment(
    data: Path = EvalData,
    text_field: str = TextField,
    label_field: str = typer.Option("label", "--label-field", help="Labels: negative, neutral, positive."),
    model: Optional[str] = EvalModel,
    opinions: bool = typer.Option(True, "--opinions/--no-opinions",
                                  help="Mix in the taxonomy's opinion model as `callscope run` does "
                                       "(enrich.opinion_weight); --no-opinions: without it."),
    config: Optional[Path] = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """Sentiment accuracy, macro-F1, per-class figures and confusion table on labelled texts."""
    _eval_text_classifier("sentiment", data, text_field, label_field, model, config, as_json, opinions)


@app.command("emotion")
@exits()
def eval_emotion(
    data: Path = EvalData,
    text_field: str = TextField,
    label_field: str = typer.Option("label", "--label-field",
                                    help="Labels: anger, disgust, fear, joy, neutral, sadness, surprise."),
    model: Optional[str] = EvalModel,
    config: Optional[Path] = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """Emotion accuracy, macro-F1, per-class figures and confusion table on labelled texts."""
    _eval_text_classifier("emotion", data, text_field, label_field, model, config, as_json)


@app.command("roles")
@exits()
def eval_roles(
    data: Path = EvalData,
    text_field: str = TextField,
    label_field: str = typer.Option("role", "--label-field", help="Labels: agent, customer."),
    config: Optional[Path] = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """Agent-or-customer accuracy of single sentences, as mono calls heard as one voice are split."""
    from callscope.evaluation.classification import evaluate
    from callscope.nlp.role_words import RoleByWords, role_examples
    from callscope.pipeline.one_voice import SentenceRoles

    settings = load_settings(config)
    with err.status("Loading the embedder and learning the role examples"):
        classifier = SentenceRoles(RoleByWords(*role_examples(settings)), settings.roles)
    result = evaluate(data, classifier, text_field, label_field)
    if as_json:
        print(json.dumps(result))
        return
    print_figures(result, "role")


@app.command("topics")
@exits()
def eval_topics(
    data: Path = typer.Option(..., "--data", help="JSONL file of labelled texts."),
    text_field: str = TextField,
    label_field: str = typer.Option("label", "--label-field"),
    min_topic_size: Optional[int] = typer.Option(None, "--min-topic-size", min=2,
                                                 help="Overrides topics.min_topic_size."),
    config: Optional[Path] = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """Topics against labels: NMI, ARI, outlier share, number of topics, keyword coherence (NPMI)."""
    from callscope.evaluation.topics import evaluate

    settings = load_settings(config)
    if min_topic_size:
        settings.topics.min_topic_size = min_topic_size
    with err.status("Embedding and clustering the texts"):
        result = evaluate(data, settings.topics, text_field, label_field)
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
              f"({result['n']} texts, {result['embedder']})")
    if result["note"]:
        err.print(result["note"])


@app.command("diarization")
@exits()
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
    as_json: bool = JsonOption,
) -> None:
    """Diarisation error rate (pyannote.metrics) per file and overall, with its parts."""
    from callscope.evaluation.diarization import evaluate_folder

    settings = load_settings(config)
    for key, value in (("num_speakers", num_speakers), ("min_speakers", min_speakers), ("max_speakers", max_speakers)):
        if value:
            setattr(settings.speakers, key, value)
    with Progress(console=err) as progress:
        task = progress.add_task("Diarising", total=None)
        result = evaluate_folder(audio, rttm, uem, collar, skip_overlap, settings,
                                 on_file=lambda total: progress.update(task, total=total, advance=1))
    if as_json:
        print(json.dumps(result))
        return
    table = Table("file", "DER", "missed", "false alarm", "confusion", "speech (s)")
    for row in result["files"] + [{**result["overall"], "uri": "overall"}]:
        table.add_row(row["uri"], f"{row['der']:.2%}", f"{row['missed']:.1f}", f"{row['false_alarm']:.1f}",
                      f"{row['confusion']:.1f}", f"{row['total']:.1f}")
    out.print(table)
    out.print(f"DER {result['der']:.2%} (collar {collar} s, overlap {'skipped' if skip_overlap else 'scored'})")
