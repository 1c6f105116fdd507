"""The words of an e-mail: HTML turned into plain text safely, and what is not the sender's own writing
(quoted replies, signature, closing, legal disclaimer) removed."""

from __future__ import annotations

import re
from html.parser import HTMLParser

DROPPED_ELEMENTS = frozenset({"script", "style", "head", "title", "noscript", "template", "iframe", "object",
                              "svg", "math", "blockquote"})    # blockquote: the quoted mail in HTML replies
BLOCK_ELEMENTS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
                            "hr", "section", "article", "header", "footer", "pre", "dd", "dt"})
VOID_ELEMENTS = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source",
                           "track", "wbr", "param"})
_TAG_LIKE = re.compile(r"</?[A-Za-z!?][^<>]*>")
_TAG_START = re.compile(r"<(?=[A-Za-z!?/])")

# Where the quoted previous message starts: everything from that line on is dropped.
_QUOTE_HEADER = re.compile(
    r"^\s*(-{2,}\s*(original message|message d'origine|mensaje original|ursprüngliche nachricht|forwarded message"
    r"|message transféré)\s*-{2,}|_{10,})\s*$", re.IGNORECASE)
_ATTRIBUTION = re.compile(r"^\s*(on\b.{4,200}\bwrote|le\b.{4,200}\ba écrit)\s*:\s*$", re.IGNORECASE | re.DOTALL)
_HEADER_FROM = re.compile(r"^\s*\*?(from|de)\s*:\*?\s+\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^\s*\*?(sent|date|envoyé|to|à|subject|objet)\s*:", re.IGNORECASE)
_SIGNATURE_DELIMITER = re.compile(r"^--\s*$")
_SENT_FROM = re.compile(r"^\s*(sent from my|envoyé de mon|get outlook for)\b", re.IGNORECASE)
_CLOSING = re.compile(
    r"^\s*((kind|best|warm|many thanks and)?\s*regards|best( wishes)?|many thanks|thanks( again)?|thank you|cheers"
    r"|sincerely|yours (sincerely|faithfully)|(bien |très )?cordialement|bien à (vous|toi)|salutations distinguées"
    r"|merci( d'avance| beaucoup)?)\s*[,.!]?(\s*(?-i:[A-Z])[\w.'-]*(\s+(?-i:[A-Z])[\w.'-]*)?)?\s*[,.!]?\s*$",
    re.IGNORECASE)   # "Regards,", "Best regards, Anna", "Cordialement"; "Thanks for the refund" is not a closing
_DISCLAIMER = re.compile(
    r"(this (e-?mail|message|communication)( and any (attachments?|files?)[\w ]*)? (is|are|may be|contains?)\b.{0,60}"
    r"\bconfidential|if you (have received|are not the intended recipient)"
    r"|intended (solely|only) for the (use|addressee)"
    r"|ce (message|courriel|mail)( et (toutes )?(les|ses) pièces jointes)? (est|sont|peu[tv]ent).{0,60}confidenti"
    r"|si vous (avez reçu ce|n'êtes pas le destinataire))", re.IGNORECASE | re.DOTALL)
MAX_CLOSING_TAIL = 6       # lines after a closing ("Regards,") that may be a name and contact details
MAX_TAIL_LINE = 80


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropped = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in DROPPED_ELEMENTS:
            self.dropped += 1
        elif tag in BLOCK_ELEMENTS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag in BLOCK_ELEMENTS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED_ELEMENTS and tag not in VOID_ELEMENTS:
            self.dropped = max(0, self.dropped - 1)
        elif tag in BLOCK_ELEMENTS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.dropped:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML body: script, style, head and quoted (blockquote) content dropped, entities
    unescaped, blocks on their own lines; no markup survives, not even an escaped `&lt;script&gt;` in the
    text (what still looks like a tag is removed, a lone `<` before a letter gets a space)."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    text = _TAG_START.sub("< ", _TAG_LIKE.sub(" ", "".join(parser.parts)))
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def own_words(body: str) -> str:
    """The part of a plain-text body the sender wrote: without the quoted previous message (from an
    "On ... wrote:", "Le ... a écrit :", "-----Original Message-----" or Outlook "From:/Sent:" block on),
    lines quoted with ">", the signature ("-- " on), a closing ("Regards,", "Cordialement") followed by at
    most a few short lines, "Sent from my phone" lines and disclaimer paragraphs."""
    lines = [line.rstrip() for line in body.splitlines()]
    start, header = _quote_start(lines)
    if any(line.strip() for line in lines[:start]):
        lines = lines[:start]
    else:                                   # a reply written below the quote: keep what follows its header
        lines = lines[start + header:]
    lines = [line for line in lines if not line.lstrip().startswith(">") and not _SENT_FROM.match(line)]
    lines = lines[:next((i for i, line in enumerate(lines) if _SIGNATURE_DELIMITER.match(line)), len(lines))]
    paragraphs = [p for p in "\n".join(lines).split("\n\n") if not _DISCLAIMER.search(p)]
    lines = "\n\n".join(paragraphs).split("\n")
    lines = lines[:_closing_start(lines)]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _quote_start(lines: list[str]) -> tuple[int, int]:
    """(the line where the quoted previous message starts, how many lines its header takes)."""
    for index, line in enumerate(lines):
        two = line + " " + (lines[index + 1] if index + 1 < len(lines) else "")
        if _QUOTE_HEADER.match(line) or _ATTRIBUTION.match(line):
            return index, 1
        if re.match(r"^\s*(on|le)\b", line, re.IGNORECASE) and _ATTRIBUTION.match(two):
            return index, 2
        if _HEADER_FROM.match(line) and any(_HEADER_NEXT.match(after) for after in lines[index + 1:index + 4]):
            return index, 1
    return len(lines), 0


def _closing_start(lines: list[str]) -> int:
    """The line of a closing near the end with only a short tail (a name, a phone number) after it."""
    content = [i for i, line in enumerate(lines) if line.strip()]
    for index in content[-(MAX_CLOSING_TAIL + 1):]:
        tail = [lines[i] for i in content if i > index]
        if _CLOSING.match(lines[index]) and index != content[0] and all(len(t) <= MAX_TAIL_LINE for t in tail):
            return index
    return len(lines)
