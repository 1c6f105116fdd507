"""Across all conversations: figures computed over the whole store at the end of a run.

`load_inputs` reads the configured survey and events CSVs into the store (call it before
the long work, so a bad file stops the run at once); `update_corpus` then links repeat
contacts, writes every call's predicted satisfaction and places new calls in topics.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from callscope.config import Settings
from callscope.corpus.repeats import link_repeats
from callscope.corpus.satisfaction import update_satisfaction
from callscope.corpus.topics import TopicUpdate, update_topics
from callscope.store import Store


@dataclass
class CorpusSummary:
    """What `update_corpus` did: repeat contacts linked, the survey report (corpus/satisfaction.py), and
    the topic update (None when topics were left alone)."""

    repeats: int
    satisfaction: dict
    topics: TopicUpdate | None = None


def load_inputs(store: Store, settings: Settings, warn: Callable[[str], None] | None = None) -> dict[str, int]:
    """Load `corpus.surveys` and `corpus.events` when configured; returns rows read per file kind.
    Columns the files hold but nothing uses are passed to `warn`."""
    loaded = {}
    if settings.corpus.surveys:
        loaded["surveys"] = store.load_surveys(Path(settings.corpus.surveys), warn)
    if settings.corpus.events:
        loaded["events"] = store.load_events(Path(settings.corpus.events), warn)
    return loaded


def update_corpus(store: Store, settings: Settings, topics_dir: Path | None = None) -> CorpusSummary:
    """Repeat contacts (`repeat_of`), then predicted CSAT (needs the repeats), then topics with
    their state kept in `topics_dir` (None: topics are left alone)."""
    summary = CorpusSummary(link_repeats(store, settings.corpus.repeat_days), update_satisfaction(store))
    if topics_dir is not None:
        summary.topics = update_topics(store.con, topics_dir, settings.topics)
    return summary
