"""Names, addresses and postcodes: recall on planted values, sentences altered in real text.

Recall: person names, street addresses and postcodes drawn from faker's en_US, en_GB and fr_FR
providers (a source other than the redactor's gazetteer, the US Census 1990 lists) are planted in
contact-centre sentences (templates below), each also in an ASR-like lower-case form without
punctuation; a value counts as caught when every character of it lies in a redacted span. The
sentences are generated (synthetic); the values come from faker's lists of real names and streets.
"typed" templates are chat and e-mail lines (sign-offs on their own line, "Name: ..."); every other name
planted in them is one the gazetteer does not hold (faker's pl_PL, fi_FI, tr_TR, hu_HU, cs_CZ names), so
only a cue can find it.

False positives: real third-party sentences (CLINC150 queries, TweetEval and GoEmotions texts,
SpokenWOZ call transcripts from ../shared/data) and the project's own call sentences (training/,
benchmarks/data/: written by other helpers, French among them): share of sentences the new rules
(names, addresses, postcodes) alter, and the whole redactor. Some of these sentences do hold names
(tweets about people, dialogues where an agent gives their name): --show prints the altered ones.

    pip install faker==40.54.0      # benchmark only
    python benchmarks/bench_names.py [--per-template 20] [--show 30]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

from faker import Faker

from callscope.pii.addresses import find_addresses
from callscope.pii.names import find_names
from callscope.pii.words import first_names, surnames
from callscope.redact import find_pii, redact_text

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
if not SHARED.exists():
    SHARED = Path("/work/shared/data")

# {name} first and last name, {first}, {last}, {spelled} the surname letter by letter, {addr} a street
# address, {postcode}, {city}. "answer" templates are replies to "can I take your name?".
TEMPLATES = {
    ("en", "name"): [
        "Hi, my name is {name} and I'm calling about my bill.", "Yeah, hi, my name's {first}.",
        "Good morning, this is {first} from the accounts team, how can I help?", "It's {name} speaking.",
        "I'm {name}, I have an appointment at ten.", "Can I speak to Mr {last}, please?",
        "Thank you, Mrs {last}, I'll put that through now.", "Is that Ms {name}?",
        "Sorry, what was your surname? - It's {last}, {spelled}.", "My surname is {last}, {spelled}.",
        "The account's in my husband's name, {name}.", "Thanks {first}, that's really helpful.",
        "You're speaking to {first}, what can I do for you?", "Hello, {name} here, I had a missed call from you.",
        "My first name is {first} and my last name is {last}.", "OK Mr {name}, I can see the account now.",
        "Could you ask {name} to call me back?", "Right, so that's Miss {last}, is it?",
        "Hello, is this {name}?", "I spoke to {first} yesterday and she said it was sorted.",
    ],
    ("en", "answer"): ["{name}.", "Yeah, it's {name}.", "Sure, {first} {last}.", "It's {last}, {spelled}."],
    ("fr", "name"): [
        "Bonjour, je m'appelle {name}, j'appelle pour ma facture.", "Oui bonjour, {name} à l'appareil.",
        "Bonjour, c'est {first} du service client, que puis-je faire pour vous ?", "Moi c'est {first}.",
        "Mon nom c'est {last}, {spelled}.", "Merci madame {last}, bonne journée.",
        "Bonjour monsieur {last}, je vous écoute.", "Vous êtes bien madame {name} ?",
        "Mon nom de famille est {last}.", "Je voudrais parler à monsieur {name}, s'il vous plaît.",
        "Mon prénom c'est {first}.", "Vous êtes en ligne avec {first}, comment puis-je vous aider ?",
        "Le compte est au nom de mon mari, {name}.", "Merci {first}, c'est très gentil.",
        "J'ai eu {first} au téléphone hier.",
    ],
    ("fr", "answer"): ["{name}.", "Oui, c'est {name}.", "{last}, {spelled}."],
    ("en", "address"): [
        "I live at {addr}.", "My address is {addr}, {city}.", "It's {addr}, {postcode}.",
        "The first line of the address is {addr}.", "Can you send it to {addr} instead?",
        "We moved to {addr} last month.", "Yes, that's {addr}.", "Deliver it to {addr}, please.",
    ],
    ("fr", "address"): [
        "J'habite au {addr}.", "Mon adresse c'est {addr}, {postcode} {city}.", "Envoyez-le au {addr}.",
        "C'est au {addr}, à {city}.", "Nous avons déménagé au {addr}.", "Oui, {addr}, {postcode} {city}.",
    ],
    ("en", "postcode"): [
        "My postcode is {postcode}.", "It's {addr}, {postcode}.", "The postcode's {postcode}, yeah.",
        "Can you confirm the postcode? - {postcode}.", "my postcode is {spoken_postcode}",
    ],
    ("fr", "postcode"): [
        "Le code postal c'est {postcode}.", "{addr}, {postcode} {city}.", "Mon code postal est le {postcode}.",
        "C'est à {postcode} {city}.",
    ],
    ("en", "zip"): ["It's {addr}, {city}, {state} {postcode}.", "The zip code is {postcode}."],
    # last, so that the values planted in the templates above stay those of the figures in docs/benchmarks.md
    ("en", "typed"): [      # chats and e-mails: what customers and agents type, sign-offs on their own line
        "Hi, I am {name} and my order still hasn't arrived.", "I'm {name}, I ordered a kettle last week.",
        "hi, this is {name} again about the refund", "{name} here, I emailed you yesterday.",
        "Thanks, {first}", "Thanks\n{name}", "Thanks for your help,\n{first}", "Kind regards,\n{name}",
        "Best,\n{first}", "Regards, {name}", "Name: {name}", "Account holder: {name}",
        "Hi {first}, thanks for waiting.", "Dear Mr {last},", "Dear {first},\nSorry about the delay.",
        "Please cancel the order for {name}.", "It's in my wife's name, {name}.",
        "Sorry {first}, I can see the delay now.",
    ],
    ("fr", "typed"): [
        "Bonjour, je suis {name}, ma commande n'est pas arrivée.", "Cordialement,\n{name}", "Nom : {name}",
        "Merci, {first}", "Bonjour {first}, merci de votre patience.", "Bien à vous,\n{first}",
    ],
}
SPOKEN = "zero one two three four five six seven eight nine".split()


def spelled(word: str, rng: random.Random) -> str:
    letters = [c.upper() for c in word if c.isalpha()]
    return rng.choice([" ".join(letters), "-".join(letters), ". ".join(letters) + "."])


def spoken_postcode(code: str) -> str:
    return " ".join(SPOKEN[int(c)] if c.isdigit() else c.lower() for c in code if not c.isspace())


def asr_form(text: str) -> str:
    """Lower case, no punctuation but apostrophes, as ASR output often is."""
    return " ".join(re.sub(r"[^\w'’\s-]", " ", text).lower().replace(" - ", " ").split())


UNLISTED_LOCALES = ("pl_PL", "fi_FI", "tr_TR", "hu_HU", "cs_CZ")


@cache
def unlisted_fakers() -> list[Faker]:
    fakes = [Faker(locale) for locale in UNLISTED_LOCALES]
    for i, fake in enumerate(fakes):
        fake.seed_instance(100 + i)
    return fakes


def unlisted_name(rng: random.Random) -> tuple[str, str]:
    """A first name and surname that are in neither gazetteer list ("Zbigniew Wierzbicki")."""
    while True:
        fake = rng.choice(unlisted_fakers())
        first, last = fake.first_name(), fake.last_name()
        if first.lower() not in first_names() and last.lower() not in surnames() | first_names():
            return first, last


def planted(per_template: int, seed: int = 5) -> list[tuple[str, str, str, str, bool]]:
    """(language, kind, sentence, value, answers a name request) for every template and value."""
    rng = random.Random(seed)
    fakers = {"en": [Faker("en_US"), Faker("en_GB")], "fr": [Faker("fr_FR")]}
    for i, fakes in enumerate(fakers.values()):
        for j, fake in enumerate(fakes):
            fake.seed_instance(seed + 10 * i + j)
    cases = []
    for (lang, kind), templates in TEMPLATES.items():
        for template in templates:
            for k in range(per_template):
                fake = fakers[lang][k % len(fakers[lang])] if kind != "zip" else fakers["en"][0]
                if kind == "postcode" and lang == "en":
                    fake = fakers["en"][1]
                first, last = fake.first_name(), fake.last_name()
                if kind == "typed" and k % 2:       # every other typed value: a name outside the gazetteer
                    first, last = unlisted_name(rng)
                values = dict(first=first, last=last, name=f"{first} {last}", spelled=spelled(last, rng),
                              addr=fake.street_address().replace("\n", ", "), city=fake.city(),
                              postcode=fake.postcode(), state=getattr(fake, "state_abbr", lambda: "")())
                values["spoken_postcode"] = spoken_postcode(values["postcode"])
                sentence = template.format(**values)
                targets = {"name": ["name", "first", "last", "spelled"], "answer": ["name", "first", "last", "spelled"],
                           "typed": ["name", "first", "last"],
                           "address": ["addr"], "postcode": ["postcode", "spoken_postcode"], "zip": ["postcode"]}[kind]
                shown = [values[t] for t in targets if "{" + t + "}" in template]
                group = {"answer": "name", "zip": "postcode"}.get(kind, kind)
                for text, vals in ((sentence, shown), (asr_form(sentence), [asr_form(v) for v in shown])):
                    for value in vals:
                        cases.append((lang, group, text, value, kind == "answer"))
    return cases


def caught(text: str, value: str, answers: bool) -> bool:
    spans = find_pii(text, answers_name_request=answers)
    found = re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text)
    at = found.start() if found else -1
    return at >= 0 and all(any(s.start <= i < s.end for s in spans)
                           for i in range(at, at + len(value)) if text[i].isalnum())


def real_sentences() -> dict[str, list[str]]:
    """Real third-party sentences by source, and the project's own call sentences by language."""
    out: dict[str, list[str]] = defaultdict(list)
    clinc = SHARED / "clinc150" / "data_full.json"
    if clinc.exists():
        data = json.loads(clinc.read_text())
        out["en: CLINC150 test+oos_test"] = [t for t, _ in data["test"] + data["oos_test"]]
    tweets = SHARED / "tweeteval" / "sentiment" / "test_text.txt"
    if tweets.exists():
        out["en: TweetEval sentiment test"] = tweets.read_text(encoding="utf-8").splitlines()
    reddit = SHARED / "goemotions" / "group" / "test.tsv"
    if reddit.exists():
        out["en: GoEmotions test"] = [line.split("\t")[0] for line in reddit.read_text(encoding="utf-8").splitlines()]
    for call in sorted((SHARED / "spokenwoz_dev" / "text").glob("*.json")):
        words, turns = json.loads(call.read_text()), []
        for word in words:
            if turns and turns[-1][0] == word["speaker"]:
                turns[-1][1].append(word["word"])
            else:
                turns.append((word["speaker"], [word["word"]]))
        out["en: SpokenWOZ turns"] += [" ".join(w) for _, w in turns]
    for path in [ROOT / "training" / "cs_utterances.jsonl", *sorted((ROOT / "benchmarks" / "data").glob("*.jsonl"))]:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            for text, lang in _texts(row):
                out[f"{lang}: project call sentences"].append(text)
    return {source: sorted(set(texts)) for source, texts in out.items()}


def _texts(row: dict) -> list[tuple[str, str]]:
    lang = row.get("lang", "en")
    if "turns" in row:
        return [(turn["text"], lang) for turn in row["turns"]]
    return [(row["text"], lang)] if "text" in row else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-template", type=int, default=20)
    parser.add_argument("--show", type=int, default=0, help="print this many altered real sentences per source")
    args = parser.parse_args()
    results: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    misses = defaultdict(list)
    for lang, kind, text, value, answers in planted(args.per_template):
        hit = caught(text, value, answers)
        results[lang, kind][0] += hit
        results[lang, kind][1] += 1
        if not hit:
            misses[lang, kind].append((text, value))
    print("| language | kind | planted values | caught |\n|---|---|---|---|")
    for (lang, kind), (hit, total) in sorted(results.items()):
        print(f"| {lang} | {kind} | {total} | {hit / total:.1%} |")
    for key, items in sorted(misses.items()):
        for text, value in items[:args.show]:
            print(f"  missed {key}: {value!r} in {text!r}")
    print("\n| source | sentences | altered by names/addresses | altered by the whole redactor |\n|---|---|---|---|")
    for source, texts in real_sentences().items():
        new = [t for t in texts if find_names(t) or find_addresses(t)]
        whole = [t for t in texts if redact_text(t) != t]
        print(f"| {source} | {len(texts)} | {len(new) / len(texts):.2%} ({len(new)}) "
              f"| {len(whole) / len(texts):.2%} ({len(whole)}) |")
        for text in new[:args.show]:
            print(f"  altered: {text!r} -> {redact_text(text)!r}")


if __name__ == "__main__":
    main()
