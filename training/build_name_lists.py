"""Build callscope/resources/names/{first_names,surnames}.txt: the name gazetteer of the redactor.

Source: the US Census Bureau's 1990 name frequency lists (public domain), as shipped by the PyPI
package `names` (pip install names==0.3.0), plus the common French first names of FRENCH_FIRST_NAMES.
Kept: the first names up to 90% cumulative frequency (common_first_names.txt: up to 80%, and the
French ones), the surnames up to 80%, lower case.
The redactor's evaluation plants names from another source (faker's providers: benchmarks/bench_names.py).

    python training/build_name_lists.py
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "callscope" / "resources" / "names"
FRENCH_FIRST_NAMES = """
    jean pierre michel philippe alain nicolas christophe patrick christian daniel bernard frédéric
    laurent stéphane éric david olivier jacques thierry julien sébastien pascal françois dominique
    thomas gérard didier vincent sylvain antoine romain maxime guillaume jérôme mathieu benoît
    hervé yves gilles serge bruno denis fabrice franck arnaud cédric ludovic jérémy kévin florian
    alexandre quentin clément lucas hugo théo louis gabriel raphaël arthur jules léo adam nathan
    enzo mathis paul baptiste aurélien damien grégory loïc yannick marc rené andré henri claude
    marie nathalie isabelle sylvie catherine françoise martine christine monique valérie sandrine
    véronique sophie céline stéphanie nicole chantal anne brigitte aurélie julie émilie caroline
    camille laura manon chloé léa emma inès jade louise alice lina mila ambre rose anna zoé lucie
    sarah pauline marine élodie audrey virginie patricia hélène florence laurence corinne karine
    delphine agnès odile colette josiane jacqueline ginette simone madeleine yvette mathilde juliette
    charlotte margaux clara océane mélanie justine morgane lola romane léna agathe élise solène
    geneviève danielle michèle annie evelyne claire cécile béatrice anaïs amandine gaëlle maëlle
""".split()


def _census(name: str, cumulative: float) -> list[str]:
    """Lower-case names of a census list, most frequent first, up to `cumulative` percent."""
    folder = Path(find_spec("names").submodule_search_locations[0])
    rows = [line.split() for line in (folder / name).read_text().splitlines() if line.strip()]
    return [row[0].lower() for row in rows if float(row[2]) <= cumulative]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    first = dict.fromkeys([*_census("dist.male.first", 90), *_census("dist.female.first", 90), *FRENCH_FIRST_NAMES])
    common = dict.fromkeys([*_census("dist.male.first", 80), *_census("dist.female.first", 80), *FRENCH_FIRST_NAMES])
    surnames = _census("dist.all.last", 80)
    for file, names in (("first_names.txt", first), ("common_first_names.txt", common), ("surnames.txt", surnames)):
        (OUT / file).write_text("\n".join(names) + "\n", encoding="utf-8")
        print(f"{OUT / file}: {len(names)} names")


if __name__ == "__main__":
    main()
