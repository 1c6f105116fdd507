"""`callscope run`: analyse recordings into an output folder, then write its reports."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from callscope import api
from callscope.cli.common import ConfigOption, RichHook, err, exits
from callscope.channels.detect import KINDS_HELP
from callscope.config import load_settings

INTERRUPTED = "interrupted: finished calls are saved; run the same command again to complete the batch"


def _given(**values) -> dict:
    return {key: value for key, value in values.items() if value is not None}


@exits(INTERRUPTED)
def run(
    inputs: list[Path] = typer.Argument(..., help="Recordings, text inputs and/or folders (searched recursively)."),
    out_dir: Path = typer.Option(Path("out"), "--out", "-o", help="Output folder."),
    config: Optional[Path] = ConfigOption,
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Calls processed at once (default: one per core)."),
    cluster: Optional[str] = typer.Option(None, "--cluster", help="Process calls on Dask: local:N worker "
                                          "processes, or tcp://HOST:8786 (a running scheduler; docs/cluster.md)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="ASR model (overrides asr.model)."),
    language: Optional[str] = typer.Option(None, "--language", "-l", help="Force a language, e.g. en or fr."),
    num_speakers: Optional[int] = typer.Option(None, "--num-speakers", min=1, help="Mono calls: exact speaker count."),
    min_speakers: Optional[int] = typer.Option(None, "--min-speakers", min=1, help="Mono calls: at least this many."),
    max_speakers: Optional[int] = typer.Option(None, "--max-speakers", min=1, help="Mono calls: at most this many."),
    keep_pii: bool = typer.Option(False, "--keep-pii", help="Store and per-call files unredacted; reports stay redacted (see report --keep-pii)."),
    redact_audio: bool = typer.Option(False, "--redact-audio",
                                      help="Also write <id>.redacted.wav: the recording with redacted words as a tone."),
    taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", dir_okay=False,
                                            help="Contact-reason taxonomy YAML (overrides enrich.taxonomy)."),
    report: bool = typer.Option(True, "--report/--no-report", help="Write the HTML reports into OUT/reports."),
) -> None:
    """Analyse every recording and text conversation into OUT: <id>.json/.txt (recordings also
    .srt/.vtt/.rttm), manifest.json, the callscope.duckdb store and the HTML reports in OUT/reports.

    Inputs, recognised by extension and content (docs/inputs.md):

    - audio: wav, flac, mp3, ogg, ... (audio.extensions)

    {kinds}

    Exit codes: 0 all files ok; 1 some files (or the reports) failed (see manifest.json);
    2 bad arguments or config; 3 model missing or unusable; 130 interrupted.
    """
    overrides = {
        "run": _given(jobs=jobs, cluster=cluster), "asr": _given(model=model, language=language),
        "speakers": _given(num_speakers=num_speakers, min_speakers=min_speakers, max_speakers=max_speakers),
        "output": ({"redact": False} if keep_pii else {}) | ({"redact_audio": True} if redact_audio else {}),
        "enrich": _given(taxonomy=str(taxonomy) if taxonomy else None),
    }
    settings = load_settings(config, **{section: values for section, values in overrides.items() if values})
    with RichHook(err) as hook:
        summary = api.run_batch(inputs, out_dir, settings, hook, reports=report)
    err.print(f"{summary.processed} processed, {summary.skipped} unchanged (skipped), {summary.duplicates} "
              f"duplicate(s), {len(summary.failures)} failed; {summary.audio_seconds / 60:.1f} min of audio at "
              f"{summary.speed:.1f}x real time -> {out_dir}")
    if summary.corpus and summary.corpus.topics and summary.corpus.topics.note:
        err.print(f"topics: {summary.corpus.topics.note}")
    if summary.reports:
        written = len(summary.reports.pages) + len(summary.reports.call_pages) + 1
        err.print(f"reports -> {summary.reports.out / 'index.html'} ({written} files)")
    if summary.report_error:
        err.print(f"error: reports not written: {summary.report_error}", style="red")
    raise typer.Exit(summary.exit_code)


run.__doc__ = run.__doc__.format(kinds="\n\n    ".join(f"- {line}" for line in KINDS_HELP.values()))
