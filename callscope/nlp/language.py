"""Language of a text, for routing it to English-only or multilingual models."""

from __future__ import annotations


def detect_language(text: str) -> str:
    """ISO 639-1 code of `text` (py3langid)."""
    import py3langid

    return py3langid.classify(text)[0]
