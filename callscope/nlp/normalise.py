"""Text compared as words: lower case, no punctuation, single spaces (role phrases, WER)."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w\s']|_")


def normalise(text: str) -> str:
    """Lower case, punctuation removed (apostrophes inside words kept), spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    text = _NON_WORD.sub(" ", text)
    text = re.sub(r"(?<!\w)'|'(?!\w)", " ", text)
    return " ".join(text.split())
