"""Person names in a transcript: `[NAME]`.

Rules (English and French, any case, punctuation optional):
- a speaker's introduction: "my name is", "my surname is", "your name is", "je m'appelle", "mon nom
  est", "moi c'est", "you're speaking to": the words after it (not everyday words, see
  words.NOT_NAMES) are a name; after "I'm", "this is", "it's", "c'est", "je suis", "ici", "thank
  you", "hi", "bonjour", "merci"..., a known first name, or a capitalised word followed by "from",
  "speaking", "de", "à l'appareil"; "X speaking", "X à l'appareil";
- a title: "Mr", "Mrs", "Ms", "Mister", "Madame", "Monsieur", "Mademoiselle", "Mme", "Mlle" (and
  "Miss", "Doctor", "Dr" before a capitalised or known name);
- the answer to a request for a name ("can I take your name?", "à quel nom ?"), when the caller
  passes `answers_name_request`: its first words;
- spelled-out names: three or more single letters ("S M I T H", "s-m-i-t-h", "S. M. I."), with the
  word they spell when it stands beside them, and "S for sugar, M for mother" spellings;
- typed in chats and e-mails: a sign-off line ("Regards,", "Thanks for your help,", "Cordialement") and the
  one to three words that end it or the next line (capitalised, or lower case when they end the text); a
  form line "Name:", "Account holder:", "Nom :"; after "I'm", "this is", "sorry"... two capitalised words
  that are no everyday ones ("I'm Neval Akçay");
- without a cue: a capitalised common first name (less those that are ordinary words: "Will",
  "Grace") inside a sentence or before a capitalised name ("Daniel Sledger").
A name runs over at most three words of one clause (particles aside: "Le Roux", "de la Cruz"); the
word after a known first name is taken as its surname unless it is an everyday word.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from callscope.pii.span import Span
from callscope.pii.words import (NOT_NAMES, TOKEN, WORDLIKE_FIRST_NAMES, common_first_names, everyday_surnames,
                                 first_names, surnames)

KIND = "NAME"
MAX_WORDS = 3


def _cue(words: str) -> str:
    """A regex of cue phrases (spaces: any whitespace; apostrophes: straight or curly)."""
    return words.replace(" ", r"\s+").replace("'", r"['’]\s*")


_STRONG_CUE = re.compile(_cue(
    r"\b(?:(?:my|the|your|his|her) (?:(?:first|last|full|family|maiden|middle|christian) )?(?:sur)?name"
    r"(?: is|'s)(?: spelled| spelt)?|(?:first|last|sur) ?name is|(?:you're|you are) (?:speaking|talking)"
    r" (?:to|with)|you're through to|je m'appelle|je me nomme|il s'appelle|elle s'appelle|(?:mon|son|votre)"
    r" (?:nom(?: de famille)?|prénom) (?:est|c'est)|moi c'est|vous (?:parlez|êtes) (?:à|avec|en ligne avec)"
    r"|(?:in|under) the name(?: of)?|in (?:my|his|her|our) \w+'s name|(?:au|sous le) nom de(?: (?:mon|ma) \w+)?)"
    r"(?=\W|$)"), re.I)
_SELF_CUES = re.compile(r"(?:my|you['’]re|you are|je|mon|moi|vous)\b", re.I)  # speakers naming themselves
_WEAK_CUE = re.compile(_cue(
    r"\b(?:i'm|i am|this is|it's|it is|that's|is this|is that|c'est|je suis|ici|hi|hello|hey|thanks|thank you"
    r"|cheers|bye|goodbye|dear|sorry|ask|ask for|speak to|speak with|spoke to|spoke with|talk to|talked to|talked with"
    r"|bonjour|bonsoir|salut|merci|au revoir|de la part de|j'ai eu|j'ai parlé à|j'ai parlé avec)(?=\W|$)"), re.I)
_SELF_WEAK = {"i'm", "i am", "this is", "it's", "it is", "c'est", "je suis", "ici"}
_CALLING_BY_NAME = re.compile(  # weak cues after which a capitalised word is a name ("Merci Clémence")
    r"hi|hello|hey|thanks|thank|cheers|bye|goodbye|dear|sorry|ask|speak|spoke|talk|bonjour|bonsoir|salut|merci|au|de"
    r"|j['’]ai", re.I)
_AFTER_NAME = re.compile(_cue(r"\s*,?\s*(?:from|speaking|here|calling|de|du|à l'appareil)(?=\W|$)"), re.I)
_SPEAKING = re.compile(_cue(r"\s*,?\s*(?:speaking|à l'appareil)(?=\W|$)"), re.I)
_FIELD = re.compile(  # a form line typed in a chat or e-mail: "Name: Anna Kowalska", "Nom : Dupont"
    r"^[ \t]*(?:(?:(?:full|first|last|family|customer|contact|account holder'?s?) )?(?:sur)?name|account ?holder"
    r"|card ?holder|nom(?: complet| de famille)?|prénom|titulaire(?: du compte)?)[ \t]*:", re.I | re.M)
_SIGN_OFF = re.compile(  # a closing at the start of a line, the name after it on that line or the next
    r"^[ \t]*(?:(?:many_)?thank(?:s|_you)\b[^\n]{0,40}[,!](?=[ \t]*\n)"      # "Thanks for your help,\nAnna"
    r"|(?:kind_|best_|warm_|many_thanks_and_)?regards|best(?:_wishes)?|(?:many_)?thanks(?:_again)?|thank_you|cheers"
    r"|sincerely|yours_(?:sincerely|faithfully)|(?:bien_|très_)?cordialement|bien_à_vous|salutations(?:_distinguées)?)"
    r"[ \t]*[,.!]?[ \t]*\n?[ \t]*".replace("_", r"[ \t]+"), re.I | re.M)
_TITLE = re.compile(r"\b(?:mr|mrs|ms|mx|mister|missus|madame|monsieur|mademoiselle|mme|mlle)\b\.?", re.I)
_STRICT_TITLE = re.compile(r"\b(?:miss|doctor|dr)\b(?:(?<=[dD][rR])\.)?", re.I)  # "did I miss it", "dr pepper"
_NAME_REQUEST = re.compile(_cue(
    r"\b(?:take|have|get|confirm|give|spell|tell|know|what's|what is|may i ask)\b[^.?!]{0,25}?\b(?:your|the)"
    r" (?:(?:full|first|last|family|christian) )?(?:sur)?name\b|\bwho am i speaking (?:to|with)\b|\b(?:votre|vos)"
    r" (?:nom|prénom)s?\b|[àa] quel nom\b|qui est à l'appareil|de la part de qui|vous vous appelez"
    r"|comment vous appelez"), re.I)
_ANSWER_LEAD = frozenset("""yes yeah yep yup sure ok okay so um uh erm er well it's its is that's it the
    name oui c'est alors euh ben bah bien sûr""".split())
_SPELLED = re.compile(r"(?<![\w'’-])[^\W\d_](?:(?:\s*[.,-]\s*|\s+)[^\W\d_]){2,}\.?(?![\w'’]|-\w)")
_LETTER_WORDS = re.compile(
    r"\b[a-z] (?:for|as in|comme) [a-zé]+(?:[\s,]+(?:and |then |et )?[a-z] (?:for|as in|comme) [a-zé]+)+"
    .replace(" ", r"\s+"), re.I)
_PARTICLES = frozenset("de du des le la van von der da di del dos el al".split())  # of surnames: "Le Roux"
_CLITIC = re.compile(r"(?:[mtsldjnc]|qu)'")  # "m'en", "l'a": French words, no names
_NOT_SPELLED = frozenset({"abc", "usa", "bbc", "atm", "dvd", "sms", "ups", "cctv", "itv", "rip", "faq", "asap"})


class _Token(NamedTuple):
    start: int
    end: int
    text: str

    @property
    def low(self) -> str:
        return self.text.lower().replace("’", "'")


def asks_for_name(text: str) -> bool:
    """Whether `text` asks the other party for a name ("can I take your name?", "votre nom ?")."""
    return bool(_NAME_REQUEST.search(text))


def find_names(text: str, keep_own_first_name: bool = False, answers_name_request: bool = False) -> list[Span]:
    """NAME spans of `text` (may overlap). `keep_own_first_name`: the first word of a name the
    speaker introduces themselves with ("my name is Emma", "this is Emma from") is left out.
    `answers_name_request`: `text` answers a request for a name, so its first words are one."""
    tokens = [_Token(m.start(), m.end(), m.group()) for m in TOKEN.finditer(text)]
    at = {t.start: i for i, t in enumerate(tokens)}
    runs: list[tuple[int, int]] = []  # token ranges [i, j)
    kept: list[int] = []  # tokens left out: the speaker's own first name

    def after(pos: int, gap: str = " ,:") -> int:
        """Index of the token that follows character `pos` with only characters of `gap` between
        (len(tokens) if none): a name after a cue is in the cue's clause."""
        i = next((i for i, t in enumerate(tokens) if t.start >= pos), len(tokens))
        return i if i < len(tokens) and not text[pos:tokens[i].start].strip(gap) else len(tokens)

    def add(i: int, loose: bool, own: bool = False) -> None:
        j = _name_end(text, tokens, i, loose, loose_rest=loose)
        if j > i:
            runs.append((i, j))
            if own and keep_own_first_name:
                kept.append(i)

    for cue in _STRONG_CUE.finditer(text):
        add(_skip_fillers(tokens, after(cue.end())), loose=True, own=bool(_SELF_CUES.match(cue.group())))
    for cue in _WEAK_CUE.finditer(text):
        i = after(cue.end(), " ,")
        end = _weak_name_end(text, tokens, i, bool(_CALLING_BY_NAME.fullmatch(cue.group().split()[0])))
        if end > i:
            runs.append((i, end))
            if keep_own_first_name and " ".join(cue.group().lower().replace("’", "'").split()) in _SELF_WEAK:
                kept.append(i)
    for field in _FIELD.finditer(text):
        add(after(field.end(), " "), loose=True)
    for closing in _SIGN_OFF.finditer(text):
        if (i := after(closing.end(), "")) < len(tokens) and (end := _sign_off_name_end(text, tokens, i)) > i:
            runs.append((i, end))
    for title in _TITLE.finditer(text):
        i = after(title.end(), " ")
        if i < len(tokens) and _everyday_surname(tokens[i]):  # "Miss Long"
            runs.append((i, _name_end(text, tokens, i + 1, loose=True, after_first=True, loose_rest=True)))
        else:
            add(i, loose=True)
    for title in _STRICT_TITLE.finditer(text):
        i = after(title.end(), " ")
        if i < len(tokens) and _everyday_surname(tokens[i]):
            runs.append((i, _name_end(text, tokens, i + 1, loose=True, after_first=True, loose_rest=True)))
        else:
            add(i, loose=False)
    if answers_name_request:
        add(_skip_fillers(tokens, 0, _ANSWER_LEAD), loose=True)
    for i, token in enumerate(tokens):
        if _SPEAKING.match(text, token.end) and _is_name(token, loose=False):
            start = i - 1 if i and _is_name(tokens[i - 1], loose=False) and _joined(text, tokens[i - 1], token) else i
            runs.append((start, i + 1))
            if keep_own_first_name:
                kept.append(start)
        elif _cueless_name(text, tokens, i):
            add(i, loose=False)
    spans = [Span(tokens[i].start, tokens[j - 1].end, KIND) for i, j in runs]
    spans += _spelled(text, tokens, at)
    return _without(text, spans, [tokens[i] for i in kept])


def _skip_fillers(tokens: list[_Token], i: int, fillers: frozenset[str] = frozenset("uh um erm er euh".split())) -> int:
    """Index of the first token from `i` on that is not a filler (at most four skipped)."""
    for _ in range(4):
        if i < len(tokens) and tokens[i].low in fillers:
            i += 1
    return i


def _is_name(token: _Token, loose: bool) -> bool:
    """Whether `token` may be (part of) a name: not an everyday word, and, unless `loose`,
    capitalised or in the gazetteer."""
    low = token.low
    if low in NOT_NAMES or len(low) < 2 or _CLITIC.match(low):
        return False
    if token.text[0].isupper() or low in first_names() or low in surnames():
        return True
    return loose and not low.endswith(("ly", "ing"))  # "mr joes pizza usually"


def _joined(text: str, left: _Token, right: _Token) -> bool:
    """Whether only spaces separate two tokens (no comma or full stop: one clause)."""
    return not text[left.end:right.start].strip()


def _everyday_surname(token: _Token) -> bool:
    """A capitalised surname that is also an everyday word ("Day", "Long", "Little")."""
    return token.text[0].isupper() and token.low in everyday_surnames()


def _name_end(text: str, tokens: list[_Token], i: int, loose: bool, after_first: bool = False,
              loose_rest: bool = False) -> int:
    """End (exclusive) of the name that starts at token i: its first word (any word that is not an
    everyday one if `loose`), then words that are capitalised, known names, follow a known first name
    (a capitalised surname that is an everyday word too: "Chad Day"), or any word that is no everyday one
    if `loose_rest`. `after_first`: token i follows a name."""
    if i < len(tokens) and tokens[i].low in _PARTICLES and (end := _particle_name(text, tokens, i, loose)):
        return _name_end(text, tokens, end, loose=True, after_first=True, loose_rest=loose_rest)  # "Le Goff"
    if i >= len(tokens) or not (after_first or _is_name(tokens[i], loose)):
        return i
    j = i if after_first else i + 1
    while j < len(tokens) and j - i < MAX_WORDS and _joined(text, tokens[j - 1], tokens[j]):
        if tokens[j].low in _PARTICLES and (end := _particle_name(text, tokens, j, loose_rest)):  # "Renée De Oliveira"
            j = end
            continue
        after_first_name = j - 1 == i and tokens[i].low in first_names()  # its surname may be any word
        if not (_is_name(tokens[j], loose=loose_rest or after_first_name)
                or after_first_name and _everyday_surname(tokens[j])):
            break
        j += 1
    return j


def _particle_name(text: str, tokens: list[_Token], i: int, loose: bool) -> int:
    """End of the surname that the particles at token i start ("de", "de la", "Le", "van der"), followed in
    the same clause by a capitalised name (or, if `loose`, any word that may be a name); 0 if none."""
    k = i + 1
    if k < len(tokens) and tokens[k].low in _PARTICLES and _joined(text, tokens[k - 1], tokens[k]):
        k += 1
    if k >= len(tokens) or not _joined(text, tokens[k - 1], tokens[k]):
        return 0
    word = tokens[k]
    return k + 1 if _is_name(word, loose) and (loose or word.text[0].isupper()) else 0


def _weak_name_end(text: str, tokens: list[_Token], i: int, calling_by_name: bool) -> int:
    """End of the name after a weak cue ("I'm", "this is", "merci") at token i, or i if none: a known
    first name (an ordinary-word one only if capitalised), a capitalised word after a greeting or thanks
    (`calling_by_name`), two capitalised words that are no everyday ones ("I'm Neval Akçay"), or up to three
    words that are no everyday ones followed by "from", "speaking", "de", "à l'appareil"."""
    if i >= len(tokens):
        return i
    token = tokens[i]
    capitalised = token.text[0].isupper()
    if (token.low in (first_names() if capitalised else common_first_names()) and not _CLITIC.match(token.low)
            and (token.low not in WORDLIKE_FIRST_NAMES or capitalised)
            or calling_by_name and _is_name(token, loose=False) and capitalised):
        return _name_end(text, tokens, i, loose=True)
    if (capitalised and i + 1 < len(tokens) and tokens[i + 1].text[0].isupper() and _joined(text, token, tokens[i + 1])
            and _is_name(token, loose=False) and _is_name(tokens[i + 1], loose=False)):
        return _name_end(text, tokens, i, loose=False)      # two capitalised words: "I'm Neval Akçay"
    longest = _name_end(text, tokens, i, loose=True, loose_rest=True)
    unknown = not (capitalised or token.low in first_names())  # only before "speaking", "à l'appareil"
    if unknown and token.low.endswith(("ly", "ing", "ed")):  # "I'm hardly speaking"
        return i
    return next((end for end in range(longest, i, -1)
                 if (_SPEAKING if unknown else _AFTER_NAME).match(text, tokens[end - 1].end)), i)


def _sign_off_name_end(text: str, tokens: list[_Token], i: int) -> int:
    """End of the name a sign-off line ends with ("Regards,\nAnna Kowalska"), or i: one to three words
    that are no everyday ones and close their line, capitalised unless they end the text ("thanks petr")."""
    end = _name_end(text, tokens, i, loose=True, loose_rest=True)
    rest = text[tokens[end - 1].end:].split("\n", 1) if end > i else [""]
    if end == i or rest[0].strip(" \t.,!"):
        return i
    return end if tokens[i].text[0].isupper() or (len(rest) == 1 and not rest[0].strip()) else i


def _cueless_name(text: str, tokens: list[_Token], i: int) -> bool:
    """A capitalised common first name that is no ordinary word, inside a sentence or followed by a
    capitalised word ("Daniel Sledger"): a first word of a sentence alone is not taken."""
    token = tokens[i]
    if token.low not in common_first_names() or not token.text[0].isupper():
        return False
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if nxt and _joined(text, token, nxt) and nxt.text[0].isupper() and _is_name(nxt, loose=False):
        return True
    before = text[:token.start].rstrip(" \"'“”«»(-–")
    return bool(before) and before[-1] not in ".!?:;\n"


def _spelled(text: str, tokens: list[_Token], at: dict[int, int]) -> list[Span]:
    """Spelled-out letters, with the word they spell beside them; "S for sugar, M for mother"."""
    spans = [Span(m.start(), m.end(), KIND) for m in _LETTER_WORDS.finditer(text)]
    for match in _SPELLED.finditer(text):
        letters = "".join(c for c in match.group().lower() if c.isalpha())
        if set(letters) <= {"a", "i"} or letters in _NOT_SPELLED:
            continue
        start, end = match.start(), match.end()
        i = at.get(start)
        if i and tokens[i - 1].low == letters:
            start = tokens[i - 1].start
        following = [t for t in tokens if t.start >= end][:1]
        if following and following[0].low == letters and not text[end:following[0].start].strip(" ,.-"):
            end = following[0].end
        spans.append(Span(start, end, KIND))
    return spans


def _without(text: str, spans: list[Span], kept: list[_Token]) -> list[Span]:
    """`spans` less the characters of the kept tokens (a span cut in two keeps both parts, trimmed)."""
    for token in kept:
        cut = []
        for span in spans:
            if not (span.start < token.end and token.start < span.end):
                cut.append(span)
                continue
            for start, end in ((span.start, token.start), (token.end, span.end)):
                part = text[start:end]
                if part.strip(" ,."):
                    lead = len(part) - len(part.lstrip(" ,."))
                    cut.append(Span(start + lead, start + len(part.rstrip(" ,.")), span.kind))
        spans = cut
    return spans
