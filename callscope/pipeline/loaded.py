"""Loaded models kept for the next call: a CallProcessor per settings, the last few only.

Loading Whisper, diarisation and the text models takes seconds; `callscope.analyse`, `run_batch`
and every batch in one process share them through `processor_for`. Text conversations need the
text models only (`text_processor_for`): the call processor's when it is loaded, else their own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from callscope.config import Settings
from callscope.pipeline.enrich import Enricher
from callscope.pipeline.process import CallProcessor
from callscope.pipeline.text import TextProcessor

KEEP = 2            # settings whose models stay loaded (e.g. a default and a fast model)

_loaded: OrderedDict[str, CallProcessor] = OrderedDict()
_text: OrderedDict[str, TextProcessor] = OrderedDict()
_lock = threading.Lock()


def processor_for(settings: Settings) -> CallProcessor:
    """The models for `settings` (a copy is kept: later changes to `settings` give other models)."""
    key = settings.model_dump_json()
    with _lock:
        if key not in _loaded:
            while len(_loaded) >= KEEP:
                _loaded.popitem(last=False)
            _loaded[key] = CallProcessor(settings.model_copy(deep=True), settings.run.jobs)
        _loaded.move_to_end(key)
        return _loaded[key]


def text_processor_for(settings: Settings) -> TextProcessor:
    """The text models for `settings`: those of the loaded call processor for them, else loaded now."""
    key = settings.model_dump_json()
    with _lock:
        if key not in _text:
            while len(_text) >= KEEP:
                _text.popitem(last=False)
            kept = settings.model_copy(deep=True)
            enricher = _loaded[key].enricher if key in _loaded else (
                Enricher(kept.enrich) if kept.enrich.enabled else None)
            _text[key] = TextProcessor(kept, enricher)
        _text.move_to_end(key)
        return _text[key]
