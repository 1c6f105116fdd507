"""Word lists of the name and address rules: the name gazetteer and the words that are no name.

The gazetteer (resources/names) holds first names (all, and the common ones) and surnames from the
US Census 1990 lists and common French first names (built by training/build_name_lists.py). `NOT_NAMES` holds function
words and everyday call words in English and French: a word there is never taken for a name.
`WORDLIKE_FIRST_NAMES` are first names that are also ordinary words: never a name without a cue.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

RESOURCES = Path(__file__).resolve().parents[1] / "resources" / "names"
TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")  # a word; "I'm", "m'appelle", "Jean-Pierre" are one

# scikit-learn's English stop list (BSD-3-Clause), copied: importing scikit-learn takes seconds
_ENGLISH_STOP_WORDS = """
    a about above across after afterwards again against all almost alone along already also although always am
    among amongst amoungst amount an and another any anyhow anyone anything anyway anywhere are around as at
    back be became because become becomes becoming been before beforehand behind being below beside besides
    between beyond bill both bottom but by call can cannot cant co con could couldnt cry de describe detail do
    done down due during each eg eight either eleven else elsewhere empty enough etc even ever every everyone
    everything everywhere except few fifteen fifty fill find fire first five for former formerly forty found
    four from front full further get give go had has hasnt have he hence her here hereafter hereby herein
    hereupon hers herself him himself his how however hundred i ie if in inc indeed interest into is it its
    itself keep last latter latterly least less ltd made many may me meanwhile might mill mine more moreover
    most mostly move much must my myself name namely neither never nevertheless next nine no nobody none noone
    nor not nothing now nowhere of off often on once one only onto or other others otherwise our ours
    ourselves out over own part per perhaps please put rather re same see seem seemed seeming seems serious
    several she should show side since sincere six sixty so some somehow someone something sometime sometimes
    somewhere still such system take ten than that the their them themselves then thence there thereafter
    thereby therefore therein thereupon these they thick thin third this those though three through throughout
    thru thus to together too top toward towards twelve twenty two un under until up upon us very via was we
    well were what whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever
    whether which while whither who whoever whole whom whose why will with within without would yet you your
    yours yourself yourselves
""".split()
_CALL_WORDS = """
    i'm i've i'll i'd it's that's there's what's he's she's we're you're they're don't doesn't didn't can't
    won't isn't wasn't aren't couldn't wouldn't shouldn't let's here's who's how's where's name's
    yes yeah yep yup no nope ok okay alright right sure fine good great well just really actually so oh
    ah uh um erm hmm mhm er eh hi hello hey bye goodbye thanks thank please sorry pardon excuse welcome
    calling call called ringing rang phoning speaking speak spoke talking talk told tell say said saying
    help helping helped need needed want wanted wanting like liked would could should might must shall
    got get getting gets go going gone went come coming came make made take taking took give given gave
    see saw seen look looking looked check checking checked know knew think thought mean meant guess
    wait waiting waited hold holding try trying tried work working worked use used using pay paid paying
    order ordered ordering cancel cancelled canceled return returned refund refunded send sent deliver
    delivered delivery account card bill billing payment phone number email address postcode code line
    order parcel package item items problem issue question query complaint today tomorrow yesterday
    morning afternoon evening night week weekend month year day days time times minute minutes hour hours
    monday tuesday wednesday thursday friday saturday sunday now then later soon still already ever never
    new old good bad best better worse worst happy sad upset angry sorry glad fine great awesome lovely
    nice kind big small little long short high low main north south east west first last next same other
    customer service team agent manager company sir madam mister miss missus mr mrs ms dr
    one two three four five six seven eight nine ten hundred thousand pound pounds euro euros dollar
    dollars cent cents percent lot bit thing things stuff way really quite pretty very much many more
    most less least few some any every each all both either neither another such own only also too
    here there where when why how what which who whom whose this that these those it its they them
    the a an and or but if because as at by for from in into of off on onto out over to under up with
    about after again against before below between down during through until while without within
    yourself myself himself herself ourselves themselves mine yours ours theirs hers his
    mum mom dad wife husband son daughter brother sister friend family partner baby kids child children
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec man buddy bro dude lol lmao haha
    dear darling love mate guys everyone folks team there
    speaking here calling from miles mile metres meters kilometres km yards feet inches floor door
""".split()
_FRENCH = """
    je j' j'ai j'appelle j'aimerais j'avais je suis tu il elle on nous vous ils elles me m' te se moi toi lui
    leur leurs mon ma mes ton ta tes son sa ses notre nos votre vos le la les l' un une des du de d' au aux
    ce cet cette ces c'est c'était ça cela ceci qui que qu' quoi dont où quand comment pourquoi combien
    et ou mais donc or ni car si ne n' pas plus rien jamais toujours encore déjà aussi très trop bien
    mal oui non ouais d'accord voilà alors bon ben bah euh hein ah oh merci bonjour bonsoir salut
    madame monsieur mademoiselle allô allo pardon désolé désolée excusez s'il plaît vais vas va allons
    allez vont suis es est sommes êtes sont ai as avons avez ont avais avait fait faire dit dire peux
    peut pouvez voudrais veux voulez souhaite appelle appeler appelé appelais rappelle rappeler
    commande colis facture compte carte numéro adresse problème client service conseiller conseillère
    aujourd'hui demain hier matin soir semaine mois an ans année jour jours heure heures minute minutes
    janvier février mars avril mai juin juillet août septembre octobre novembre décembre
    lundi mardi mercredi jeudi vendredi samedi dimanche maintenant après avant pendant depuis
    dans sur sous avec sans pour par chez entre vers contre tout tous toute toutes autre autres même
    rue avenue boulevard place bonne journée soirée fin gentil gentille vraiment
""".split()
NOT_NAMES = frozenset(_ENGLISH_STOP_WORDS) | frozenset(_CALL_WORDS) | frozenset(_FRENCH)
WORDLIKE_FIRST_NAMES = frozenset("""
    will mark bill hope grace may june april august summer autumn winter faith joy sue art pat guy frank
    jack ray dean gene max major sunny rich earl king hunter carol lane rocky chance dawn crystal amber
    ruby pearl jewel ivy holly heather daisy iris lily violet star sky angel honey candy ginger sandy
    brandy penny misty storm river rain forest stone ben don will page mercedes porsche china
    paris london florence austin lincoln jordan georgia virginia carolina dallas houston phoenix
    sharon chase cash price young long lee bay way see hill wood rod sky golden brown green gray grey
    white black early miles more love sunday tuesday christmas easter patience charity constance
    precious destiny miracle unique blessing royal king queen prince princess duke marshal judge
""".split())


@cache
def first_names() -> frozenset[str]:
    """Lower-case first names of the gazetteer, less the words of NOT_NAMES."""
    return _load("first_names.txt")


@cache
def common_first_names() -> frozenset[str]:
    """The more frequent first names (80% of people), less NOT_NAMES and WORDLIKE_FIRST_NAMES: names even
    without a cue."""
    return _load("common_first_names.txt") - WORDLIKE_FIRST_NAMES


@cache
def surnames() -> frozenset[str]:
    """Lower-case surnames of the gazetteer, less the words of NOT_NAMES."""
    return _load("surnames.txt")


@cache
def everyday_surnames() -> frozenset[str]:
    """Surnames of the gazetteer that are everyday words too ("day", "long"): names only when capitalised
    beside a first name or after a title."""
    return _read("surnames.txt") & NOT_NAMES - {w for w in NOT_NAMES if len(w) < 3}


def _load(file: str) -> frozenset[str]:
    return _read(file) - NOT_NAMES


@cache
def _read(file: str) -> frozenset[str]:
    return frozenset((RESOURCES / file).read_text(encoding="utf-8").split())
