"""Checks of the settings that take well under a second and import no model code, so that a bad
model name, language, speaker count or missing file fails before any model loads (and before the
batch's heavy imports: call `preflight` first)."""

from __future__ import annotations

from callscope import registry
from callscope.config import AsrSettings, Settings
from callscope.errors import ConfigError


def check_asr(settings: AsrSettings) -> None:
    """Fail in one line, before any model loads, on an unknown model name or language code."""
    registry.check(settings.model)
    if settings.language is None:
        return
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    if settings.language not in _LANGUAGE_CODES:
        raise ConfigError(f"language {settings.language!r}: not a language Whisper knows "
                          f"(two-letter codes such as en, fr, de)")
    if settings.language not in (None, "en") and settings.model.endswith(".en"):
        raise ConfigError(f"language {settings.language!r}: model {settings.model!r} is English only")


def preflight(settings: Settings) -> None:
    """Check, in well under a second, what would otherwise fail only after the models load: the ASR
    model name, the language, the speaker counts and the files the settings name."""
    check_asr(settings.asr)
    low, high = settings.speakers.min_speakers, settings.speakers.max_speakers
    if low and high and low > high:
        raise ConfigError(f"--min-speakers {low} is more than --max-speakers {high}")
    count = settings.speakers.num_speakers
    if count and ((low and count < low) or (high and count > high)):
        raise ConfigError(f"--num-speakers {count} is outside --min-speakers/--max-speakers")
    files = {"taxonomy file": settings.enrich.taxonomy_path() if settings.enrich.enabled else None,
             "role examples file": settings.roles.examples_path() if settings.roles.by_words else None}
    for kind, path in files.items():
        if path is not None and not path.is_file():
            raise ConfigError(f"{path}: {kind} not found")
