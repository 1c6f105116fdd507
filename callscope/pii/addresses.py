"""Street addresses (`[ADDRESS]`) and postcodes (`[POSTCODE]`) in a transcript.

- `[ADDRESS]`: a house number (written, "12b", "12 bis", or spoken: "forty two") with one to three
  name words and a street type ("12 Baker Street", "forty five high road"; a plural type only beside a
  proper name: "Charles Parks", not "3 main roads"), after an optional "flat 3," / "studio 4b" or
  before "Apt. 832"; French: number, street type, name ("42 rue de la Paix", "12 bis avenue Victor
  Hugo", "3, allée des Tilleuls"), or no number after "au", "c'est" or before a postcode; after "my
  address is", "I live at", "first line of the address is", "mon adresse est", "j'habite au", a
  number and up to four name words whatever the street type. Name words are no everyday words
  (words.NOT_NAMES), so "20 minutes down the road" stays.
- `[POSTCODE]`: UK postcodes written ("SW1A 1AA", "m1 1ae") or spoken letter by letter ("s w one a
  one a a"); French five-digit codes before a town name or after "code postal"; US ZIP codes after a
  state ("CA 94105", "Texas 73301-1234") or "zip code".
"""

from __future__ import annotations

import re
from typing import Iterator

from callscope.pii.span import Span
from callscope.pii.words import NOT_NAMES, first_names, surnames

_EN_NUMBER_WORD = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
                   r"|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
                   r"|hundred|oh|double)")
_FR_NUMBER_WORD = (r"(?:un|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize"
                   r"|vingt|vingts|trente|quarante|cinquante|soixante|cent|et)")


def _number(words: str) -> str:
    """A house number: digits ("12", "12b"), or number words of one language ("forty two"), then "bis"/"ter"."""
    return rf"(?:\d{{1,5}}(?:\s?[a-h]\b)?|{words}(?:[\s-]+(?:and\s+)?{words}){{0,3}})(?:\s+(?:bis|ter))?"


_EN_NUMBER, _FR_NUMBER = _number(_EN_NUMBER_WORD), _number(_FR_NUMBER_WORD)
_NUMBER = rf"(?:{_EN_NUMBER}|{_FR_NUMBER})"
_UNIT = r"(?:(?:flat|apartment|apt|unit|suite|studio|appartement|appt|bâtiment|bat)\.?\s+\w{1,4}\s*,?\s+)"
_UNIT_AFTER = r"(?:\s*,?\s*(?:flat|apartment|apt|unit|suite|ste|studio|appartement|appt)\.?\s*#?\w{1,5}\b)?"
_EN_TYPE = (  # common street types and the USPS street suffixes
    r"(?:street|st|road|rd|avenue|ave|lane|ln|close|drive|dr|way|court|ct|crescent|cres|place|pl|grove|gardens?"
    r"|terrace|hill|park|square|sq|row|mews|walk|parade|boulevard|blvd|highway|hwy|view|rise|green|gate|vale"
    r"|wharf|circle|cir|trail|parkway|pkwy|cove|plaza|loop|path|broadway|alley|bypass|causeway|centre|center"
    r"|common|corner|crossing|dale|estate|expressway|field|flats?|forge|fork|fort|freeway|glen|harbou?r|haven"
    r"|heights|hollow|island|junction|knoll|landing|lodge|manor|meadows?|mill|mission|motorway|mount|orchard"
    r"|pass|pike|pines?|point|port|prairie|ranch|ridge|route|run|shore|springs?|spur|station|summit|trace"
    r"|track|turnpike|valley|viaduct|villa|village|ville|vista|wells?|wynd|burgs?|radial|rue|stravenue"
    r"|underpass|extension|ford|groves?|isle|lake|lights?|locks?|neck|oval|overpass|creek|crest|brook|bluffs?"
    r"|bridge|mall|ways?|falls?|plains?|gateway|mountain|canyon|river|forest|ferry|cliff|keys?|stream|tunnel"
    r"|branch|crossroad|passage|curve|cape|inlet)s?"  # a plural only beside a proper name: see _streets
)
_SINGULAR_S = {"mews", "gardens", "meadows", "springs", "heights", "pines", "flats", "falls", "plains", "keys", "wells",
               "groves", "ways", "bluffs", "lights", "locks", "burgs"}  # types whose usual form ends in s
_STREET_WORDS = frozenset("""de la du des le les d' l' high main north south east west new old long little big great
    upper lower first second third church station park market bridge castle school king queen green white
    black red well grand petite petit vieux neuve saint sainte""".split())  # everyday words street names use
_FR_TYPE = (r"(?:rue|avenue|av|boulevard|bd|bld|place|allée|allee|chemin|impasse|quai|route|cours|square|voie"
            r"|passage|résidence|residence|lotissement|hameau|lieu-dit|rond-point|faubourg|cité|villa|sentier)")
_WORD = r"[^\W\d_][\w'’-]*"
_EN_STREET = re.compile(
    rf"(?<![\w-])(?:{_UNIT}(?:{_EN_NUMBER}\s*,?\s+)?|{_EN_NUMBER}\s*,?\s+)"
    rf"(?P<name>(?:{_WORD}\s+){{1,3}})(?P<type>{_EN_TYPE})\b"
    rf"{_UNIT_AFTER}", re.I)
_FR_LINK = r"(?:de\s+la|de\s+l['’]|du|des|de|d['’]|la|le|les|l['’])"
_FR_STREET = re.compile(
    rf"(?<![\w-]){_UNIT}?(?P<number>{_FR_NUMBER})\s*,?\s+{_FR_TYPE}\.?\s+(?:{_FR_LINK}\s*)?"
    rf"(?P<name>{_WORD}(?:\s+(?:{_FR_LINK}\s*)?{_WORD}){{0,3}})", re.I)
_FR_STREET_AFTER = re.compile(  # no number: "j'habite au chemin des Vignes", "c'est avenue Michaud"
    rf"\b(?:au|à\s+la|à\s+l['’]|à|c['’]est|est|habite|habitons)\s+(?P<street>{_FR_TYPE}\.?\s+(?:{_FR_LINK}\s*)?"
    rf"(?P<name>{_WORD}(?:\s+(?:{_FR_LINK}\s*)?{_WORD}){{0,3}}))", re.I)
_FR_STREET_CODE = re.compile(  # no number, before a postcode: "avenue Rémy, 39358 Lefebvre"
    rf"\b{_FR_TYPE}\.?\s+(?:{_FR_LINK}\s*)?(?P<name>{_WORD}(?:\s+(?:{_FR_LINK}\s*)?{_WORD}){{0,3}})"
    rf"(?=\s*,?\s*[0-9]{{5}}\b)",
    re.I)
_NEAR_CODE = re.compile(r"(?<![\w-])[0-9]{2}\s?[0-9]{3}(?:-[0-9]{4})?(?![\w-])")  # a code after an address
_CUE = re.compile(
    r"\b(?:(?:my|the|your|our|his|her)\s+(?:home\s+|postal\s+|billing\s+|delivery\s+)?address\s+is|i\s+live\s+at"
    r"|we\s+live\s+at|(?:the\s+)?first\s+line\s+of\s+(?:my|the|your)\s+address\s+is|(?:mon|votre|notre)\s+adresse"
    r"\s+(?:est|c['’]est)|j['’]habite\s+(?:au|à)|nous\s+habitons\s+au)"
    r"[\s,:]*(?:(?:it['’]s|c['’]est|le|number)\s+)?",
    re.I)
_UNIT_NUMBER = re.compile(r"(?:\.?\s*#?\w{1,5}\b)?")
_CUED_ADDRESS = re.compile(rf"{_UNIT}?{_NUMBER}\s*,?\s+(?P<name>{_WORD}(?:\s+{_WORD}){{0,3}})", re.I)

_UK_POSTCODE = r"[a-z]{1,2}[0-9][a-z0-9]?\s?[0-9][a-z]{2}"
_UK_WRITTEN = re.compile(rf"(?<![\w-]){_UK_POSTCODE}(?![\w-])", re.I)
_UK_CUED_OUTWARD = re.compile(r"\bpost\s?code\s+(?:is\s+|it['’]s\s+)?(?P<code>[a-z]{1,2}[0-9][a-z0-9]?)\b", re.I)
_SPOKEN_DIGITS = {w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine".split())}
_SPOKEN_DIGITS["oh"] = "0"
_FR_POSTCODE = re.compile(r"(?<![\w.,$€£-])(?P<code>[0-9]{2}\s?[0-9]{3})(?![\w-])")
_FR_POSTCODE_CUE = re.compile(r"\b(?:code\s+postal|cp)\s*(?:est\s+|c['’]est\s+|:\s*)?(?:le\s+)?$", re.I)
_US_STATES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA "
    "RI SC SD TN TX UT VT VA WA WV WI WY DC").split()
_US_STATE_NAMES = (r"alabama|alaska|arizona|arkansas|california|colorado|connecticut|delaware|florida|georgia|hawaii"
                   r"|idaho|illinois|indiana|iowa|kansas|kentucky|louisiana|maine|maryland|massachusetts|michigan"
                   r"|minnesota|mississippi|missouri|montana|nebraska|nevada|new\s+hampshire|new\s+jersey"
                   r"|new\s+mexico|new\s+york|north\s+carolina|north\s+dakota|ohio|oklahoma|oregon|pennsylvania"
                   r"|rhode\s+island|south\s+carolina|south\s+dakota|tennessee|texas|utah|vermont|virginia"
                   r"|washington|west\s+virginia|wisconsin|wyoming")
_US_ZIP = re.compile(
    rf"(?:\b(?:{'|'.join(_US_STATES)})\b|(?i:\b(?:{_US_STATE_NAMES}))),?\s+(?P<code>[0-9]{{5}}(?:-[0-9]{{4}})?)\b"
    r"|(?i:\bzip(?:\s*code)?\s+(?:is\s+|it['’]s\s+)?)(?P<cued>[0-9]{5}(?:-[0-9]{4})?)\b")
_TOKEN = re.compile(r"[^\W_]+")
def find_addresses(text: str) -> list[Span]:
    """ADDRESS and POSTCODE spans of `text` (may overlap)."""
    streets = list(_streets(text))
    near = [Span(s.end + m.start(), s.end + m.end(), "POSTCODE")
            for s in streets for m in _NEAR_CODE.finditer(text[s.end:s.end + 60])]
    return [*streets, *near, *_postcodes(text)]


def _names_ok(name: str) -> bool:
    """Whether the words of a street name are no everyday words (linking words aside)."""
    words = [w.lower().replace("’", "'") for w in re.findall(_WORD, name)]
    return bool(words) and all(w in _STREET_WORDS or w not in NOT_NAMES for w in words)


def _has_proper_name(name: str) -> bool:
    """Whether a street name holds a known name or a capitalised word that is no acronym ("Charles Parks",
    not "3 main roads", "2 USB drives")."""
    return any(w.lower() in first_names() or w.lower() in surnames() or w[0].isupper() and not w.isupper()
               for w in re.findall(_WORD, name))


def _streets(text: str) -> Iterator[Span]:
    for pattern in (_EN_STREET, _FR_STREET):
        for match in pattern.finditer(text):
            plural = pattern is _EN_STREET and match["type"].lower().endswith("s") and match["type"].lower() not in (
                _SINGULAR_S)
            if _names_ok(match["name"]) and (not plural or _has_proper_name(match["name"])):
                yield Span(match.start(), match.end(), "ADDRESS")
    for match in _FR_STREET_AFTER.finditer(text):
        if _names_ok(match["name"]):
            yield Span(match.start("street"), match.end("street"), "ADDRESS")
    for match in _FR_STREET_CODE.finditer(text):
        if _names_ok(match["name"]):
            yield Span(match.start(), match.end(), "ADDRESS")
    for cue in _CUE.finditer(text):
        match = _CUED_ADDRESS.match(text, cue.end())
        if match:
            words = re.findall(_WORD, match["name"])
            kept = 0
            for word in words:  # the name runs to the first everyday word
                if word.lower() in NOT_NAMES:
                    break
                kept += 1
            if kept:
                end = match.start("name") + _nth_word_end(match["name"], kept)
                if words[kept - 1].lower() in {"apt", "apartment", "suite", "unit", "flat", "studio"}:  # "... Apt. 387"
                    end = _UNIT_NUMBER.match(text, end).end()
                yield Span(match.start(), end, "ADDRESS")


def _nth_word_end(text: str, n: int) -> int:
    return list(re.finditer(_WORD, text))[n - 1].end()


def _postcodes(text: str) -> Iterator[Span]:
    for match in _UK_WRITTEN.finditer(text):
        yield Span(match.start(), match.end(), "POSTCODE")
    for match in _UK_CUED_OUTWARD.finditer(text):
        yield Span(match.start("code"), match.end("code"), "POSTCODE")
    yield from _spoken_uk_postcodes(text)
    for match in _FR_POSTCODE.finditer(text):
        town = re.match(rf"\s*,?\s*(?P<town>{_WORD})", text[match.end():])
        by_town = town and town["town"].lower() not in NOT_NAMES and (
            town["town"][0].isupper() or re.search(r"\bà\s+$", text[:match.start()]))  # "à 75008 paris"
        if by_town or _FR_POSTCODE_CUE.search(text[:match.start()]):
            yield Span(match.start(), match.end(), "POSTCODE")
    for match in _US_ZIP.finditer(text):
        group = "code" if match["code"] else "cued"
        yield Span(match.start(group), match.end(group), "POSTCODE")


def _spoken_uk_postcodes(text: str) -> Iterator[Span]:
    """UK postcodes said one letter or digit at a time ("s w one a one a a", "m one one a e")."""
    tokens = list(_TOKEN.finditer(text))
    pattern = re.compile(_UK_POSTCODE.replace(r"\s?", ""))
    i = 0
    while i < len(tokens):
        chars, best = "", None
        for j in range(i, min(i + 9, len(tokens))):
            word = tokens[j].group().lower()
            char = word if len(word) == 1 or word.isdigit() and len(word) <= 2 else _SPOKEN_DIGITS.get(word)
            if char is None:
                break
            chars += char
            if pattern.fullmatch(chars) and any(not t.group().isdigit() and len(t.group()) > 1
                                                 for t in tokens[i:j + 1]):
                best = j
        if best is not None:
            yield Span(tokens[i].start(), tokens[best].end(), "POSTCODE")
            i = best + 1
        else:
            i += 1
