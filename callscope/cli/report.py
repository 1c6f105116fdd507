"""`callscope report`: the HTML reports and actions.csv of an output folder's store."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Optional, get_args

import typer

from callscope import api
from callscope.channels.thread import Channel
from callscope.cli.common import ConfigOption, JsonOption, RichHook, err, exits, fail
from callscope.config import load_settings
from callscope.errors import EXIT_USAGE


@exits()
def report(
    out_dir: Path = typer.Option(Path("out"), "--out", "-o", help="Output folder of `callscope run`."),
    reports_dir: Optional[Path] = typer.Option(None, "--to", "-t", file_okay=False,
                                               help="Folder the reports are written to (default: OUT/reports)."),
    db: Optional[Path] = typer.Option(None, "--db", dir_okay=False, help="Store file (default: OUT/callscope.duckdb)."),
    date_from: Optional[datetime] = typer.Option(None, "--from", formats=["%Y-%m-%d"],
                                                 help="First call date (YYYY-MM-DD), inclusive."),
    date_to: Optional[datetime] = typer.Option(None, "--until", formats=["%Y-%m-%d"],
                                               help="Last call date (YYYY-MM-DD), inclusive."),
    queue: Optional[str] = typer.Option(None, "--queue", help="Only calls of this queue."),
    team: Optional[str] = typer.Option(None, "--team", help="Only calls of this team."),
    channel: Optional[str] = typer.Option(None, "--channel",
                                          help="Only conversations of this channel: voice, chat, email or survey."),
    keep_pii: bool = typer.Option(False, "--keep-pii",
                                  help="Show text stored unredacted (a run with --keep-pii) and customer ids as is."),
    taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", dir_okay=False,
                                            help="Taxonomy YAML for proactive actions (default: enrich.taxonomy of the config)."),
    config: Optional[Path] = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """HTML reports (index, listen, empower, engage, calls/<id>.html, journeys/<customer>.html) and actions.csv
    from the store."""
    from callscope.reports import Filters

    settings = load_settings(config)
    if date_from and date_to and date_from > date_to:
        fail(f"--from {date_from:%Y-%m-%d} is after --until {date_to:%Y-%m-%d}", EXIT_USAGE)
    if channel is not None and channel not in get_args(Channel):
        fail(f"--channel {channel!r}: expected one of {', '.join(get_args(Channel))}", EXIT_USAGE)
    filters = Filters(date_from.date() if date_from else None, date_to.date() if date_to else None, queue, team,
                      channel)
    with RichHook(err, transient=True, enabled=not as_json and err.is_terminal) as hook:
        written = api.build_reports(out_dir, reports_dir, settings, filters, keep_pii=keep_pii, taxonomy=taxonomy,
                                    db=db, hook=hook)
    if as_json:
        print(json.dumps({"out": str(written.out), "pages": [str(p) for p in written.pages],
                          "call_pages": len(written.call_pages),
                          "journey_pages": len(written.journey_pages), "actions_csv": str(written.actions_csv),
                          "actions": written.actions}))
        return
    err.print(f"{len(written.pages)} reports, {len(written.call_pages)} call pages, "
              f"{len(written.journey_pages)} journey pages, {written.actions} actions "
              f"-> {written.out / 'index.html'}")
