"""PII redaction of transcripts: find personal data and replace it with typed placeholders.

Placeholders and the rules behind them:

- `[CARD]`   13-19 digits, not starting with 0, passing the Luhn check; written
             ("4556 7375 8689 9855", "4556-7375-...", "4556. 7375. ...", ungrouped), spoken ("four five
             five six ...", "forty five fifty six ...") or mixed.
- `[IBAN]`   country code, check digits and BBAN of that country's length, passing
             the mod-97 check; grouped or not (letters must be upper case).
- `[EMAIL]`  written addresses and the spoken forms ASR writes ("john dot smith at
             example dot com", "john.smith at gmail.com", "jean point dupont arobase
             free point fr"), also with the domain glued ("at example dotnet", "gmail
             dotcom"); a one-word local part that is a common word ("look at
             amazon.com") is not an address.
- `[PHONE]`  written numbers of 9-15 digits: international (+44 ..., 0033 ...),
             national with a trunk 0 (07700 900123, 06 12 34 56 78) or North
             American with separators ((555) 123-4567, 1-800-555-0199).
- `[DOB]`    a date after "date of birth", "DOB", "born (on/in)", "birthday", "né(e)
             le", "date de naissance" (any date form, year optional); or, without such
             a cue, a full date (day, month and year) whose year is a plausible birth
             year (1900 to 16 years ago), so order and appointment dates stay.
- `[ADDRESS]` a street address: house number, name and street type ("12 Baker Street", "flat 3,
             45 high road", "42 rue de la Paix", "12 bis avenue Victor Hugo"), or a number and name
             after "my address is", "I live at", "j'habite au" (rules: callscope/pii/addresses.py).
- `[POSTCODE]` UK postcodes written or spelled ("SW1A 1AA", "s w one a one a a"), French
             five-digit codes before a town or after "code postal", US ZIP codes after a state.
- `[NAME]`   person names: introduced ("my name is", "I'm", "this is X from", "je m'appelle",
             "moi c'est"), after a title ("Mr", "Mrs", "Madame", "Monsieur"), answering a request for
             a name, spelled out ("S M I T H", "S for sugar..."), or a known first name capitalised or
             followed by a surname (rules: callscope/pii/names.py).
- `[DIGITS]` a spoken digit run: 4 or more numbers in a row (digit words, "double
             five", "forty five", French "quatre-vingt-dix", single-digit numerals,
             mixed with numerals), at least one of them spoken. A Luhn-valid stretch
             of 13-19 digits inside it is `[CARD]`; the rest of the run is `[DIGITS]`.
             Written multi-digit numbers that are none of the above stay ("extension
             1234", "order 884213", a Luhn-invalid "1234 5678 9012 3456").

Where spans overlap they merge into one, labelled with the kind that comes first
in `KINDS`. In a conversation, the agent's own first name in their introduction ("my name is
Emma, how can I help") is kept when asked (`keep_agent_first_name`, setting
`output.keep_agent_first_name`), and the answer to "can I take your name?" is a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from itertools import count
from typing import Iterator

from callscope.conversation import Conversation, Word, join_words, word_offsets
from callscope.pii.addresses import find_addresses
from callscope.pii.names import asks_for_name, find_names
from callscope.pii.span import Span

KINDS = ("IBAN", "CARD", "EMAIL", "DOB", "PHONE", "ADDRESS", "POSTCODE", "NAME", "DIGITS")  # priority in overlaps
MIN_AGE = 16  # a cue-less full date is a date of birth when at least this many years ago


# ---------------------------------------------------------------- public API

def find_pii(text: str, keep_own_first_name: bool = False, answers_name_request: bool = False) -> list[Span]:
    """PII spans of `text`, in order and not overlapping. `keep_own_first_name`: the first name the
    speaker introduces themselves with stays; `answers_name_request`: `text` answers "your name?"."""
    found = [*_number_spans(text), *_ibans(text), *_emails(text), *_phones(text), *_dates_of_birth(text),
             *find_addresses(text), *find_names(text, keep_own_first_name, answers_name_request)]
    return _merge(found)


def redact_text(text: str) -> str:
    """`text` with each PII span replaced by its placeholder, e.g. `[CARD]`.
    (One parameter: DuckDB registers it as a SQL function.)"""
    return _replaced(text, find_pii(text))


def _replaced(text: str, spans: list[Span]) -> str:
    """`text` with each span replaced by its placeholder."""
    pieces, pos = [], 0
    for span in spans:
        pieces += [text[pos:span.start], placeholder(span.kind)]
        pos = span.end
    return "".join(pieces) + text[pos:]


def redact_conversation(conv: Conversation, keep_agent_first_name: bool = False) -> Conversation:
    """A redacted deep copy of `conv`; `conv` itself is left untouched.

    PII is found in each utterance's words (one speaker, across segments) and
    in each segment's words (one track), joined with spaces. An utterance that
    follows another speaker's request for a name ("can I take your name?") starts
    with a name; with `keep_agent_first_name`, the first name an agent introduces
    themselves with stays (in the agent's utterances, and segments of agent words only). The words a span
    covers become one Word: text = placeholder (plus any punctuation of the
    first and last word outside the span, as in "[CARD]."), start/end = the
    time range of the covered words, so the audio can be bleeped later. The
    texts of utterances and segments with redacted words are rebuilt from their
    words; a text without words is redacted as text. Texts quoted in the analysis
    (signals, aspects) are redacted like the utterance they come from.
    """
    out = conv.model_copy(deep=True)
    containers = [*out.utterances, *out.segments]
    roles = {speaker.id: speaker.role for speaker in out.speakers}
    asked = [False] + [asks_for_name(before.text) and before.speaker != after.speaker
                       for before, after in zip(out.utterances, out.utterances[1:])]
    options = [(keep_agent_first_name and u.role == "agent", answers) for u, answers in zip(out.utterances, asked)]
    options += [(keep_agent_first_name and bool(s.words) and all(roles.get(w.speaker) == "agent" for w in s.words),
                 False) for s in out.segments]
    cuts = _word_cuts([c.words for c in containers], options)
    if out.analysis:
        _redact_analysis(out, cuts)
    for container, (keep, answers) in zip(containers, options):
        if not container.words:     # a message, or an imported transcript's turn
            container.text = _replaced(container.text, find_pii(container.text, keep, answers))
        elif any(_key(w) in cuts for w in container.words):
            container.words = _redacted_words(container.words, cuts)
            container.text = join_words([w.text for w in container.words])
    return out


def _redact_analysis(conv: Conversation, cuts: dict[_WordKey, _Cut]) -> None:
    """Redact the signal and aspect texts of `conv.analysis` (before its utterances are redacted)."""
    for item in [*conv.analysis.signals, *conv.analysis.aspects]:
        words = conv.utterances[item.utterance].words if 0 <= item.utterance < len(conv.utterances) else []
        item.text = _redacted_part(item.text, words, cuts)
    for signal in conv.analysis.signals:
        signal.evidence = redact_text(signal.evidence)


def _redacted_part(part: str, words: list[Word], cuts: dict[_WordKey, _Cut]) -> str:
    """`part`, a stretch of the text of `words` (`join_words`), redacted as those words are:
    a PII span found in the whole utterance is caught even when `part` holds only a piece of it."""
    text, offsets = word_offsets([w.text for w in words])
    at = text.find(part) if part else -1
    covered = [word for word, pos in zip(words, offsets)
               if at >= 0 and pos < at + len(part) and pos + len(word.text) > at]
    if not any(_key(w) in cuts for w in covered):
        return redact_text(part)
    return join_words([w.text for w in _redacted_words(covered, cuts)])


def placeholder(kind: str) -> str:
    """The text that stands in for PII of `kind`."""
    return f"[{kind}]"


def luhn_valid(digits: str) -> bool:
    """Whether a digit string passes the Luhn (mod 10) check."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char) * (2 if i % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _is_card(digits: str) -> bool:
    """13-19 digits passing Luhn; no card number starts with 0 (phone numbers such as 0033... do)."""
    return 13 <= len(digits) <= 19 and digits[0] != "0" and luhn_valid(digits)


def _merge(spans: list[Span]) -> list[Span]:
    """Overlapping spans merged into one of the highest-priority kind among them."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            kind = min(last.kind, span.kind, key=KINDS.index)
            merged[-1] = Span(last.start, max(last.end, span.end), kind)
        else:
            merged.append(span)
    return merged


def _scan(pattern: re.Pattern, text: str) -> Iterator[re.Match]:
    """Matches of `pattern`, retrying one character after each match start (so they may overlap)."""
    pos = 0
    while match := pattern.search(text, pos):
        yield match
        pos = match.start() + 1


# ---------------------------------------------------- numbers: cards and digit runs

def _number_phrases() -> dict[tuple[str, ...], str]:
    """Every spoken form of one digit or of a two-digit group (EN and FR) -> its digits."""
    phrases: dict[tuple[str, ...], str] = {}
    units = {"en": "zero one two three four five six seven eight nine".split(),
             "fr": "zéro un deux trois quatre cinq six sept huit neuf".split()}
    tens = {"en": dict(zip("twenty thirty forty fifty sixty seventy eighty ninety".split(), range(2, 10))),
            "fr": dict(zip("vingt trente quarante cinquante soixante".split(), range(2, 7)))}
    teens = {"en": [(w,) for w in "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen "
                                  "nineteen".split()],
             "fr": [(w,) for w in "dix onze douze treize quatorze quinze seize".split()]
             + [("dix", u) for u in ("sept", "huit", "neuf")]}
    for lang in ("en", "fr"):
        for digit, word in enumerate(units[lang]):
            phrases[(word,)] = str(digit)
            for repeat, times in (("double", 2), ("triple", 3)):
                phrases[(repeat, word)] = str(digit) * times
        for n, words in enumerate(teens[lang], start=10):
            phrases[words] = str(n)
        for word, ten in tens[lang].items():
            phrases[(word,)] = f"{ten}0"
            for digit, unit in enumerate(units[lang][1:], start=1):
                joined = ("et", unit) if lang == "fr" and digit == 1 else (unit,)
                phrases[(word, *joined)] = f"{ten}{digit}"
    for n, words in enumerate(teens["fr"], start=10):  # 70-79, 90-99
        phrases[("soixante", *words)] = str(n + 60)
        phrases[("quatre", "vingt", *words)] = str(n + 80)
    phrases[("soixante", "et", "onze")] = "71"
    for plural in ("vingt", "vingts"):
        phrases[("quatre", plural)] = "80"
    for digit, unit in enumerate(units["fr"][1:], start=1):
        phrases[("quatre", "vingt", unit)] = f"8{digit}"
    phrases.update({("oh",): "0", ("nought",): "0", ("double", "oh"): "00", ("triple", "oh"): "000"})
    return phrases


_PHRASES = _number_phrases()
_LONGEST_PHRASE = max(map(len, _PHRASES))
_TOKEN = re.compile(r"[0-9]+|[^\W\d_]+(?:['’][^\W\d_]+)*")
_RUN_GAP = re.compile(r"\s*[,.-]?\s*")  # what may separate the numbers of one run ("4556. 7375." too)


@dataclass(frozen=True)
class _Number:
    """One number of a digit run: characters [start, end), its digits, whether it was spoken
    (words or a single-digit numeral), and how many numbers it counts for ("double five": 2)."""

    start: int
    end: int
    digits: str
    spoken: bool
    count: int


def _read_number(words: list[str], i: int) -> tuple[str, int] | None:
    """(digits, words used) of the number that starts at words[i], longest reading first."""
    if words[i].isdigit():
        return words[i], 1
    for n in range(min(_LONGEST_PHRASE, len(words) - i), 0, -1):
        digits = _PHRASES.get(tuple(words[i:i + n]))
        if digits:
            return digits, n
    return None


def _chains(text: str) -> Iterator[list[re.Match]]:
    """Tokens of `text` in groups separated only by spaces, a comma, a full stop or a dash."""
    chain: list[re.Match] = []
    for token in _TOKEN.finditer(text):
        if chain and not _RUN_GAP.fullmatch(text, chain[-1].end(), token.start()):
            yield chain
            chain = []
        chain.append(token)
    if chain:
        yield chain


def _digit_runs(text: str) -> Iterator[list[_Number]]:
    """Maximal sequences of consecutive numbers (numerals and number words)."""
    for chain in _chains(text):
        words = [t.group().lower() for t in chain]
        run: list[_Number] = []
        i = 0
        while i < len(chain):
            read = _read_number(words, i)
            if read is None:
                if run:
                    yield run
                run, i = [], i + 1
                continue
            digits, used = read
            spoken = not words[i].isdigit() or len(digits) == 1
            repeated = words[i] in ("double", "triple")
            run.append(_Number(chain[i].start(), chain[i + used - 1].end(), digits, spoken,
                               len(digits) if repeated else 1))
            i += used
        if run:
            yield run


def _card_windows(run: list[_Number]) -> list[tuple[int, int]]:
    """Non-overlapping stretches [i, j) of `run` whose digits are card numbers, longest (then earliest) first."""
    found = []
    for i in range(len(run)):
        digits = ""
        for j in range(i, len(run)):
            digits += run[j].digits
            if len(digits) > 19:
                break
            if _is_card(digits):
                found.append((-len(digits), i, j + 1))
    taken = [False] * len(run)
    chosen = []
    for _, i, j in sorted(found):
        if not any(taken[i:j]):
            taken[i:j] = [True] * (j - i)
            chosen.append((i, j))
    return sorted(chosen)


def _run_spans(run: list[_Number], spoken: bool) -> list[Span]:
    """CARD spans of a run; if the run is spoken, the numbers between them are DIGITS."""
    spans, pos = [], 0
    for i, j in [*_card_windows(run), (len(run), len(run))]:
        if spoken and pos < i:
            spans.append(Span(run[pos].start, run[i - 1].end, "DIGITS"))
        if i < j:
            spans.append(Span(run[i].start, run[j - 1].end, "CARD"))
        pos = j
    return spans


def _number_spans(text: str) -> list[Span]:
    """Card numbers and spoken digit runs."""
    return [span for run in _digit_runs(text)
            for span in _run_spans(run, spoken=sum(n.count for n in run) >= 4 and any(n.spoken for n in run))]


# ---------------------------------------------------------------------- IBAN

_IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26,
    "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28,
    "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}
_IBAN_CANDIDATE = re.compile(r"\b(?P<country>[A-Z]{2}) ?[0-9]{2}(?: ?[A-Z0-9]){11,30}")


def iban_valid(iban: str) -> bool:
    """Whether a compact, upper-case IBAN has its country's length and passes the mod-97 check."""
    if len(iban) != _IBAN_LENGTHS.get(iban[:2]):
        return False
    return int("".join(str(int(c, 36)) for c in iban[4:] + iban[:4])) % 97 == 1


def _ibans(text: str) -> Iterator[Span]:
    """IBANs, cut to their country's length at a group boundary."""
    for match in _scan(_IBAN_CANDIDATE, text):
        length = _IBAN_LENGTHS.get(match["country"], 0)
        chars = [i for i in range(match.start(), match.end()) if text[i] != " "]
        if len(chars) < length:
            continue
        end = chars[length - 1] + 1
        if end < len(text) and text[end].isalnum():
            continue
        if iban_valid("".join(text[i] for i in chars[:length])):
            yield Span(match.start(), end, "IBAN")


# --------------------------------------------------------------------- e-mail

_WRITTEN_EMAIL = re.compile(r"[\w.%+-]*\w@\w[\w-]*(?:\.[\w-]+)+")
_JOIN = r"(?:[._-]|\s+(?:dot|point|underscore|under\s+score|dash|hyphen|tiret(?:\s+bas)?)\s+)"
_DOT = r"(?:\.|\s+(?:dot|point)\s+)"
_AT = r"(?:\s*@\s*|\s+(?:at|arobase|arrobase)\s+)"
_TLD = r"(?:com|net|org|co|uk|fr|de|es|it|be|ch|nl|ie|eu|io|info|biz|me|us|ca|au|edu|gov|ac)"
_SPOKEN_EMAIL = re.compile(  # a local part may start with spelled letters: "j o h n dot smith at ..."
    rf"(?<![\w'’])(?:[a-z0-9]\s){{0,12}}(?P<local>\w+(?:{_JOIN}\w+){{0,6}}){_AT}(?!www\b)\w+(?:{_DOT}\w+){{0,4}}"
    rf"(?:{_DOT}|\s*(?:dot|point)){_TLD}\b", re.I)  # "example dot net", glued: "example dotnet"
_NOT_LOCAL_PART = set("""
    a an the me us it him her them you this that these those here there home work online one
    is are was were be been look looked looking shop shopped bought buy ordered order check checked
    visit visited go went find found available sold listed pay paid booked book arrived delivered
    log logged sign signed up in on out back page site website web email mail address contact
    cheap cheaper cheapest free price prices deal deals offer offers register registered apply applied
    renew renewed download downloaded details info more all everything stuff things live
""".split())


def _emails(text: str) -> Iterator[Span]:
    """Written and spoken e-mail addresses."""
    for match in _WRITTEN_EMAIL.finditer(text):
        yield Span(match.start(), match.end(), "EMAIL")
    for match in _scan(_SPOKEN_EMAIL, text):
        if match["local"].lower() not in _NOT_LOCAL_PART:
            yield Span(match.start(), match.end(), "EMAIL")


# ---------------------------------------------------------------------- phone

_PHONE = re.compile(r"""
    (?<![\w+(])
    (?: (?:\+|\b00)\s?\d{1,3}(?:[\s.-]?\(0\))?(?:[\s.-]?\d{1,4}){2,6}      # +44 7700 900123, 0033 1 ...
      | \(?\b0\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}                            # 07700 900123, 06 12 34 56 78
      | (?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}      # (555) 123-4567, 1-800-555-0199
    )(?!\w)
""", re.X)


def _phones(text: str) -> Iterator[Span]:
    """Written phone numbers of 9-15 digits."""
    for match in _PHONE.finditer(text):
        if 9 <= sum(c.isdigit() for c in match.group()) <= 15:
            yield Span(match.start(), match.end(), "PHONE")


# -------------------------------------------------------------- date of birth

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
          r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[ûu]t"
          r"|septembre|octobre|novembre|d[ée]cembre)\b")
_EN_UNIT = r"(?:one|two|three|four|five|six|seven|eight|nine)"
_EN_99 = (rf"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-]{_EN_UNIT})?|oh[\s-]{_EN_UNIT}"
          r"|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)")
_FR_UNIT = r"(?:un|deux|trois|quatre|cinq|six|sept|huit|neuf)"
_FR_TEEN = r"(?:dix[\s-](?:sept|huit|neuf)|dix|onze|douze|treize|quatorze|quinze|seize)"
_FR_99 = (rf"(?:(?:vingt|trente|quarante|cinquante|soixante|quatre[\s-]vingts?)(?:[\s-](?:et[\s-])?"
          rf"(?:{_FR_TEEN}|{_FR_UNIT}))?|{_FR_TEEN}|{_FR_UNIT})")
_YEAR_PREFIX = r"(?:nineteen|two[\s-]thousand(?:[\s-]and)?|twenty|mille[\s-]neuf[\s-]cents?|deux[\s-]mille)"
_YEAR = (rf"(?:(?:1[89]|20)[0-9]{{2}}|nineteen[\s-](?:hundred|{_EN_99})"
         rf"|two[\s-]thousand(?:[\s-](?:and[\s-])?(?:{_EN_99}|{_EN_UNIT}))?|twenty[\s-]{_EN_99}"
         rf"|(?:mille[\s-]neuf[\s-]cents?|deux[\s-]mille)(?:[\s-]{_FR_99})?)\b")
_EN_ORDINAL = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
_DAY = (rf"(?:(?:[12][0-9]|3[01]|0?[1-9])(?:st|nd|rd|th|er|e)?|(?:(?:twenty|thirty)[\s-]?)?{_EN_ORDINAL}"
        r"|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth"
        rf"|twentieth|thirtieth|premier|(?:vingt|trente)[\s-]et[\s-]un|vingt[\s-]{_FR_UNIT}|vingt|trente"
        rf"|{_FR_TEEN}|{_FR_UNIT})\b")


def _date(pattern: str) -> re.Pattern:
    return re.compile(rf"\b{pattern}", re.I)


_DAY_MONTH_YEAR = _date(rf"(?:the\s+)?{_DAY}(?:\s+(?:of|de))?\s+{_MONTH}(?:,?\s+(?:of\s+)?(?P<year>{_YEAR}))?")
_MONTH_DAY_YEAR = _date(rf"{_MONTH}\s+(?:the\s+)?{_DAY}(?:,?\s+(?P<year>{_YEAR}))?")
_NUMERIC = _date(r"(?<![0-9][/.-])(?P<a>[0-9]{1,2})([/.-])(?P<b>[0-9]{1,2})\2(?P<year>[0-9]{4}|[0-9]{2})\b"
                 r"(?![/.-][0-9])")
_ISO = _date(r"(?P<year>(?:19|20)[0-9]{2})-[0-9]{2}-[0-9]{2}\b")
_FULL_DATES = (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR, _NUMERIC, _ISO)
_CUED_DATES = (  # after a cue the year may be missing and more forms count
    *_FULL_DATES,
    _date(r"(?P<a>[0-9]{1,2})([/.\s-])(?P<b>[0-9]{1,2})(?:\2(?:[0-9]{4}|[0-9]{2}))?\b"),  # 3/12, 14 2 79
    _date(r"[0-9]{6}(?:[0-9]{2})?\b"),  # 140279
    _date(rf"{_MONTH},?\s+{_YEAR}"),  # March 1985
    _date(_YEAR),
    _date(rf"(?:the\s+)?{_DAY}\s+of\s+the\s+(?:(?:1[0-2]|0?[1-9])(?:st|nd|rd|th)|{_EN_ORDINAL}|tenth|eleventh"
          rf"|twelfth)\b(?:,?\s+(?:{_YEAR}|[0-9]{{2}}\b|{_EN_99}\b))?"),  # the 2nd of the 6th 82
)
_DOB_CUE = re.compile(
    r"\b(?:date\s+of\s+birth|d\.?o\.?b\b\.?|birth\s?date|birthday|born(?:\s+(?:on|in))?|n[ée]e?\s+le"
    r"|date\s+de\s+naissance)[\s:,-]*"
    r"(?:(?:is|was|it['’]?s|it\s+is|that['’]?s|that\s+is|on|est|c'est|le)[\s:,-]+){0,3}", re.I)


def _year_value(year: str) -> int:
    """The year a written ("1985", "85") or spoken ("nineteen eighty five") year stands for."""
    if year.isdigit():
        value = int(year)
        if len(year) == 2:
            value += 1900 if value > date.today().year % 100 else 2000
        return value
    prefix = re.match(_YEAR_PREFIX, year, re.I)
    century = 1900 if prefix.group().lower().startswith(("nineteen", "mille")) else 2000
    words = [w.lower() for w in _TOKEN.findall(year[prefix.end():])]
    digits, i = "", 0
    while i < len(words):
        read = _read_number(words, i)
        digits += read[0] if read else ""
        i += read[1] if read else 1
    return century + int(digits or 0)


def _is_birth_year(year: str) -> bool:
    return 1900 <= _year_value(year) <= date.today().year - MIN_AGE


def _plausible(match: re.Match) -> bool:
    """Whether a numeric date's first two numbers can be a day and a month, in either order."""
    if "a" not in match.groupdict():
        return True
    low, high = sorted((int(match["a"]), int(match["b"])))
    return 1 <= low <= 12 and high <= 31


def _dates_of_birth(text: str) -> Iterator[Span]:
    """Dates right after a date-of-birth cue, and cue-less full dates in a birth year."""
    for cue in _DOB_CUE.finditer(text):
        dates = [m for m in (p.match(text, cue.end()) for p in _CUED_DATES) if m and _plausible(m)]
        if dates:
            longest = max(dates, key=lambda m: m.end())
            yield Span(longest.start(), longest.end(), "DOB")
    for pattern in _FULL_DATES:
        for match in pattern.finditer(text):
            if match["year"] and _plausible(match) and _is_birth_year(match["year"]):
                yield Span(match.start(), match.end(), "DOB")


# ----------------------------------------------------------------- conversations

_WordKey = tuple[int, float, float, str]


@dataclass(frozen=True)
class _Cut:
    """The part [lo, hi) of a word's text that PII span number `span` of `kind` covers."""

    span: int
    kind: str
    lo: int
    hi: int


def _key(word: Word) -> _WordKey:
    """Identifies a word across the utterance and segment that both hold it."""
    return word.track, word.start, word.end, word.text


def _word_cuts(word_lists: list[list[Word]], options: list[tuple[bool, bool]]) -> dict[_WordKey, _Cut]:
    """For every word inside a PII span of its list's text, the part the span covers (first finding wins).
    `options`: per list, (keep the speaker's own first name, the list answers a request for a name)."""
    cuts: dict[_WordKey, _Cut] = {}
    span_ids = count()
    for words, (keep, answers) in zip(word_lists, options):
        text, offsets = word_offsets([w.text for w in words])
        for span in find_pii(text, keep, answers):
            span_id = next(span_ids)
            for word, offset in zip(words, offsets):
                lo, hi = max(span.start - offset, 0), min(span.end - offset, len(word.text))
                if lo < hi:
                    cuts.setdefault(_key(word), _Cut(span_id, span.kind, lo, hi))
    return cuts


def _redacted_words(words: list[Word], cuts: dict[_WordKey, _Cut]) -> list[Word]:
    """`words` with each run of words cut by one span merged into a single placeholder word."""
    out: list[Word] = []
    last_span = None
    for word in words:
        cut = cuts.get(_key(word))
        if cut is None:
            out.append(word)
        elif cut.span == last_span:
            head = out[-1]
            out[-1] = head.model_copy(update={
                "end": max(head.end, word.end), "text": head.text + word.text[cut.hi:],
                "probability": min(head.probability, word.probability)})
        else:
            text = word.text[:cut.lo] + placeholder(cut.kind) + word.text[cut.hi:]
            out.append(word.model_copy(update={"text": text}))
        last_span = cut.span if cut else None
    return out
