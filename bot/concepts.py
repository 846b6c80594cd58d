"""A query's words as concepts: acronyms that the archive defines are understood both ways.

Abstracts define acronyms ("natural language processing (NLP)", counted by
bot.acronyms as papers are stored). A query word that is such an acronym also matches
its expansion, and a run of query words that is an expansion also matches its acronym
("theory of mind" -> "ToM"): either way the concept is scored as one (bot.ranking).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot import text
from bot.query import QueryPlan
from bot.ranking import Concept
from bot.storage.acronym_counts import AcronymCounts, Expansions

ACRONYM_PAPERS = 2  # a lowercase word is read as an acronym once this many papers define it
MAX_EXPANSION_WORDS = 8
EXPANSION_SHARE = 0.1  # see ConceptReader.read
EXPANSION_PAPERS = 10_000  # or this many papers: a doclist cheap to read as a phrase


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

    async def read(
        self, query: str, plan: QueryPlan, papers: Callable[[str], int], total: int
    ) -> list[Concept]:
        """The plan's terms as concepts: an acronym that the archive defines (typed in
        capitals, `NLP`, or defined by ACRONYM_PAPERS papers) with its expansion, and a
        run of words that abstracts define as an acronym replaced by that acronym.

        The index is asked for an expansion as a phrase only when it is selective: its
        rarest content word in at most EXPANSION_SHARE of the `total` papers or
        EXPANSION_PAPERS (`papers`: a term's papers). Matching "language models" as a
        phrase in a large archive reads two of the longest doclists, and finds nothing
        that the acronym's other sources and the scorer miss."""

        def selective(expansion: str) -> bool:
            content = [stem for stem in text.terms(expansion) if stem not in text.STOPWORDS]
            rarest = min(map(papers, content), default=total)
            return rarest <= max(EXPANSION_SHARE * total, EXPANSION_PAPERS)

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
            concepts.append(Concept(term, typed, stems, spellings, selective(rows[0][0])))
        return await self._named(query, concepts, selective)

    async def _named(
        self, query: str, concepts: list[Concept], selective: Callable[[str], bool]
    ) -> list[Concept]:
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
            concepts = _merged(concepts, acronym, expansion, selective(expansion))
        return concepts


def concept_papers(concept: Concept, papers: Callable[[str], int]) -> int:
    """About how many papers hold `concept` (`papers`: a term's papers): an acronym's
    own, or its expansion's when more (as many as its rarest content word, at most)."""
    content = [stem for stem in concept.expansion if stem not in text.STOPWORDS]
    return max(papers(concept.term), min(map(papers, content), default=0))


def _merged(
    concepts: Sequence[Concept], acronym: str, expansion: str, searched: bool
) -> list[Concept]:
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
    kept.insert(first, Concept(acronym, acronym, stems, (expansion,), searched))
    return kept
