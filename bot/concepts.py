"""A query's words as concepts: acronyms that the archive defines are understood both ways.

Abstracts define acronyms ("natural language processing (NLP)", counted by
bot.acronyms as papers are stored). A query word that is such an acronym also matches
its expansion, and a run of query words that is an expansion also matches its acronym
("theory of mind" -> "ToM"): either way the concept is scored as one (bot.ranking).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot import text
from bot.query import QueryPlan
from bot.ranking import Concept
from bot.storage.acronym_counts import AcronymCounts, Expansions

ACRONYM_PAPERS = 2  # a lowercase word is read as an acronym once this many papers define it
MAX_EXPANSION_WORDS = 8


class ConceptReader:
    """Reads queries as concepts; caches the acronyms most papers define."""

    def __init__(self, acronyms: AcronymCounts) -> None:
        self._acronyms = acronyms
        # Acronyms that ACRONYM_PAPERS papers define, read again after papers are added;
        # a word typed in capitals is looked up in the database instead.
        self._defined: Expansions | None = None

    def forget(self) -> None:
        """Papers were added: read the defined acronyms again when next needed."""
        self._defined = None

    async def read(self, query: str, plan: QueryPlan) -> list[Concept]:
        """The plan's terms as concepts: an acronym that the archive defines (typed in
        capitals, `NLP`, or defined by ACRONYM_PAPERS papers) with its expansion, and a
        run of words that abstracts define as an acronym replaced by that acronym."""
        capitals = {
            term
            for word in query.split()
            if sum(char.isupper() for char in word) >= 2
            for term in text.terms(word)
        }
        if self._defined is None:
            self._defined = await self._acronyms.defined(ACRONYM_PAPERS)
        known = self._defined
        defined = {term: known[term] for term in plan.terms if term in known}
        if asked := [term for term in plan.terms if term in capitals and term not in defined]:
            defined.update(await self._acronyms.expansions(asked))
        concepts = []
        for term in plan.terms:
            typed = plan.typed.get(term)
            rows = defined.get(term)
            if not rows or (term not in capitals and rows[0][1] < ACRONYM_PAPERS):
                concepts.append(Concept(term, typed))
                continue
            stems = tuple(text.terms(rows[0][0]))
            spellings = tuple(spelt for spelt, _ in rows if tuple(text.terms(spelt)) == stems)
            concepts.append(Concept(term, typed, stems, spellings))
        return await self._named(query, concepts)

    async def _named(self, query: str, concepts: list[Concept]) -> list[Concept]:
        """`concepts` with each run of query words that abstracts define as an acronym
        ("theory of mind") made one concept, the acronym ("tom") spelt that way."""
        words = text.words(query)
        runs = {
            " ".join(words[start:end])
            for start in range(len(words))
            for end in range(start + 2, min(len(words), start + MAX_EXPANSION_WORDS) + 1)
        }
        if len(concepts) < 2 or not runs:
            return concepts
        for acronym, expansion, _papers in await self._acronyms.named_by(sorted(runs)):
            concepts = _merged(concepts, acronym, expansion)
        return concepts


def _merged(concepts: Sequence[Concept], acronym: str, expansion: str) -> list[Concept]:
    """`concepts` with those of `expansion`'s content words replaced by one concept for
    `acronym`, where the first of them stood; unchanged when some are missing (a longer
    expansion took them), when they are the whole query ("in-context learning" asks for
    that phrase), or when the acronym is a concept already."""
    stems = tuple(text.terms(expansion))
    content = [stem for stem in stems if stem not in text.STOPWORDS]
    terms = [concept.term for concept in concepts]
    if acronym in terms or not content or any(stem not in terms for stem in content):
        return list(concepts)
    if len(content) == len(terms):  # the whole query: the phrase itself is asked for
        return list(concepts)
    first = min(terms.index(stem) for stem in content)
    kept = [concept for concept in concepts if concept.term not in content]
    kept.insert(first, Concept(acronym, acronym, stems, (expansion,)))
    return kept
