"""Language of a text, for routing it to English-only or multilingual models."""

from __future__ import annotations

from functools import lru_cache


def detect_language(text: str) -> str:
    """ISO 639-1 code of `text` (py3langid)."""
    import py3langid

    return py3langid.classify(text)[0]


@lru_cache(maxsize=1)
def _normalised_identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def language_probability(text: str, language: str) -> float:
    """How likely `text` is in `language` (ISO 639-1), 0..1 over py3langid's 97 languages."""
    return dict(_normalised_identifier().rank(text)).get(language, 0.0)
