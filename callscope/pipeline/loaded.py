"""Loaded models kept for the next call: a CallProcessor per settings, the last few only.

Loading Whisper, diarisation and the text models takes seconds; `callscope.analyse`, `run_batch`
and every batch in one process share them through `processor_for`. Text conversations need the
text models only (`text_processor_for`): the call processor's when it is loaded, else their own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

from callscope.config import Settings
from callscope.pipeline.enrich import Enricher
from callscope.pipeline.process import CallProcessor
from callscope.pipeline.text import TextProcessor

KEEP = 2            # settings whose models stay loaded (e.g. a default and a fast model)

_loaded: OrderedDict[str, CallProcessor] = OrderedDict()
_text: OrderedDict[str, TextProcessor] = OrderedDict()
_lock = threading.Lock()


def _kept(cache: OrderedDict, key: str, load: Callable):
    """`cache[key]`, loaded by `load()` when missing (the oldest of KEEP dropped); the caller holds _lock."""
    if key not in cache:
        while len(cache) >= KEEP:
            cache.popitem(last=False)
        cache[key] = load()
    cache.move_to_end(key)
    return cache[key]


def processor_for(settings: Settings) -> CallProcessor:
    """The models for `settings` (a copy is kept: later changes to `settings` give other models)."""
    with _lock:
        return _kept(_loaded, settings.model_dump_json(),
                     lambda: CallProcessor(settings.model_copy(deep=True), settings.run.jobs_for(1)))


def text_processor_for(settings: Settings) -> TextProcessor:
    """The text models for `settings`: those of the loaded call processor for them, else loaded now."""
    key = settings.model_dump_json()

    def load() -> TextProcessor:
        kept = settings.model_copy(deep=True)
        enricher = _loaded[key].enricher if key in _loaded else Enricher(kept.enrich) if kept.enrich.enabled else None
        return TextProcessor(kept, enricher)

    with _lock:
        return _kept(_text, key, load)
