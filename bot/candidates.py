"""Which papers `/search` scores: bounded candidate sources over the whole archive.

FTS5 offers cheap operations only over short doclists (titles, the focus index, rare
words) and for the newest matches (`ORDER BY rowid DESC` with a small limit); BM25
reads every doclist of its query and costs about 3 µs a matching row. So the
candidates come from sources that are each bounded, most of them over the whole
archive so that a strong match is found however old it is: the papers about the
query's rarer words (`focus_query`, the main source), titles holding its words, its
phrase, its start or its rarest pairs, and the newest papers holding its rarest words
(`candidate_queries`). They are asked for in one statement (`SearchIndex.candidates`)
and then all scored alike (bot.ranking).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from bot import text
from bot.query import QueryPlan, quote
from bot.ranking import Concept, idf
from bot.storage.search_index import CandidateQuery, SearchIndex

TITLE_TERM_SHARE = 0.5  # title evidence uses the query's words in at most half the papers
RANKED_TITLE_SHARE = 0.05  # BM25 orders title matches only of words in at most 5% of papers
TITLE_CANDIDATES = 60  # titles holding every such word, best by BM25 over titles
NAME_CANDIDATES = 20  # titles that start with the query
START_WORDS = 1  # a one-word query (a name: "TALC", "Mirostat")
PAIR_QUERIES = 6  # title pairs of the query's words asked for, rarest pairs first
PAIR_CANDIDATES = 20  # titles asked for per pair
PAIR_SHARE = 0.2  # of which at least one word is in at most this share of papers
CANDIDATES = 20  # newest papers holding every (selective) word: what is new stays found
NEWEST_WORDS = 3  # of a longer query, its rarest words only: ANDing common ones costs
# Papers about the query's words (focus_fts: title terms and terms the abstract repeats),
# the highest sums of those words' IDF (FOCUS_TITLE_WEIGHT times in a title): the
# query's words whose focus doclists add up to FOCUS_POSTINGS, rarest first; only words
# in at most FOCUS_SHARE of papers are looked up (counting reads their doclists).
FOCUS_POSTINGS = 8000
FOCUS_SHARE = 0.2
FOCUS_CANDIDATES = 60
FOCUS_CANDIDATES_MORE = 10  # more for each budget step past the first: 100 at 1M
FOCUS_TITLE_WEIGHT = 2.0
FOCUS_CACHE = 10_000  # words whose focus doclist length is kept
COMMON_SHARE = 0.4  # a word in more papers is left out of the newest matches' AND
# The latency goal grows with the archive (/search p95: 10 ms up to 100k papers, 50 ms
# at 1M), and so do the whole-archive limits above (not the newest ones): times the
# archive's size over BUDGET_PAPERS, from 1 up to MAX_BUDGET.
BUDGET_PAPERS = 100_000
MAX_BUDGET = 5


class CandidateFinder:
    """Candidate ids for a query's concepts (bot.concepts)."""

    def __init__(self, index: SearchIndex) -> None:
        self._index = index
        # Focus doclist lengths asked for before: counting reads a doclist, and the same
        # words come back query after query. Forgotten when papers are added.
        self._focus_papers: dict[str, int] = {}

    def forget(self) -> None:
        """Papers were added: count focus doclists again when next needed."""
        self._focus_papers.clear()

    async def focus_papers(self, terms: Sequence[str]) -> dict[str, int]:
        """term -> papers whose focus holds it (0 for none), counted once per ingest."""
        known = self._focus_papers
        if missing := [term for term in terms if term not in known]:
            if len(known) > FOCUS_CACHE:
                known.clear()
            counted = await self._index.focus_counts(missing)
            known.update({term: counted.get(term, 0) for term in missing})
        return {term: known[term] for term in terms if known[term]}

    async def find(
        self,
        query: str,
        plan: QueryPlan,
        concepts: Sequence[Concept],
        papers: Mapping[str, int],
        total: int,
        term_papers: Callable[[str], int],
    ) -> dict[int, None]:
        """Candidate ids from every source, in a dict (ordered, no repeats).

        `papers`: each concept's term -> the papers holding the concept (an acronym or
        its expansion: bot.concepts.concept_papers); `total`: all papers; `term_papers`:
        the papers holding one index term (an acronym's focus doclist is its own).
        """
        queries = candidate_queries(query, plan, concepts, papers, total)
        limit = FOCUS_SHARE * max(total, 1)
        looked_up = [c.term for c in concepts if term_papers(c.term) <= limit]
        focus_papers = await self.focus_papers(looked_up)
        focus = focus_query(papers, focus_papers, total)
        if focus is not None:
            queries.insert(0, focus)
        results = await self._index.candidates(queries)
        if not results[-1] and len(concepts) > 1:  # no paper holds every selective word
            any_term = " OR ".join(index_group(concept) for concept in concepts)
            results.append(await self._index.newest_matches(any_term, CANDIDATES))
        found: dict[int, None] = {}
        for ids in results:
            found.update(dict.fromkeys(ids))
        return found


def budget(total: int) -> int:
    """How many times the base candidate limits an archive of `total` papers affords."""
    return max(1, min(MAX_BUDGET, total // BUDGET_PAPERS))


def focus_query(
    papers: Mapping[str, int],
    focus_papers: Mapping[str, int],
    total: int,
) -> CandidateQuery | None:
    """The papers about the query's rarest words: those with the highest sum of the IDF
    of the words in their focus (FOCUS_TITLE_WEIGHT times in the title), over the words
    whose focus doclists (`focus_papers`) add up to FOCUS_POSTINGS, rarest first; None
    when even the rarest is too common. `papers`: each word's papers (for the IDF)."""
    weighted: list[tuple[str, float]] = []
    postings = 0
    for term in sorted(focus_papers, key=focus_papers.__getitem__):
        postings += focus_papers[term]
        if postings > FOCUS_POSTINGS * budget(total):
            break
        group = quote(term)  # an acronym alone: focus lists are unordered, hold no phrase
        weight = idf(papers[term], max(total, 1))
        weighted += [(f"{{title}} : {group}", FOCUS_TITLE_WEIGHT * weight)]
        weighted += [(f"{{repeated}} : {group}", weight)]
    if not weighted:
        return None
    limit = FOCUS_CANDIDATES + FOCUS_CANDIDATES_MORE * (budget(total) - 1)
    return CandidateQuery("focus", "", limit, "weighted", "focus", tuple(weighted))


def candidate_queries(
    query: str,
    plan: QueryPlan,
    concepts: Sequence[Concept],
    papers: Mapping[str, int],
    total: int,
) -> list[CandidateQuery]:
    """The bounded sources, in the order they are asked; the last is always the newest
    papers holding every selective word."""
    total = max(total, 1)
    times = budget(total)
    titled = {concept.term: title_group(concept) for concept in concepts}
    indexed = {concept.term: index_group(concept) for concept in concepts}
    selective = [c.term for c in concepts if papers[c.term] <= TITLE_TERM_SHARE * total]
    queries: list[CandidateQuery] = []
    # Titles holding every selective word (every word, newest, when none is).
    ranked = bool(selective) and all(
        papers[term] <= RANKED_TITLE_SHARE * total for term in selective
    )
    every = " AND ".join(titled[term] for term in (selective or plan.terms))
    if ranked:
        queries.append(CandidateQuery("title", every, TITLE_CANDIDATES * times, "rank", "title"))
    else:
        queries.append(CandidateQuery("title", every, CANDIDATES, "newest", "title"))
    # Titles holding the query's words as a phrase ("in-context learning"), typos
    # corrected.
    words = corrected_words(query, plan)
    if len(concepts) > 1 and (phrase := title_phrase(words)):
        queries.append(CandidateQuery("title", phrase, NAME_CANDIDATES, "rank", "title phrase"))
    # Titles that start with the query (its first words): "TALC", "Mirostat".
    if 0 < len(words) <= START_WORDS:
        start = "^" + quote(" ".join(words))
        queries.append(CandidateQuery("title", start, NAME_CANDIDATES, "newest", "title start"))
    # Titles holding two of the query's selective words, the rarest pairs first.
    if len(concepts) >= 3:
        pairs = sorted(
            (papers[first] * papers[second], first, second)
            for index, first in enumerate(selective)
            for second in selective[index + 1 :]
        )
        for _, first, second in pairs[:PAIR_QUERIES]:
            if min(papers[first], papers[second]) > PAIR_SHARE * total:
                continue  # the newest titles holding two common words: recency, no evidence
            rare_pair = max(papers[first], papers[second]) <= RANKED_TITLE_SHARE * total
            both = f"{titled[first]} AND {titled[second]}"
            limit = PAIR_CANDIDATES * times
            if rare_pair:
                queries.append(CandidateQuery("title", both, limit, "rank", "title pair"))
            else:
                queries.append(CandidateQuery("title", both, limit, "newest", "title pair"))
    # The newest papers holding every selective word (any word when none holds all), or
    # its NEWEST_WORDS rarest: what is new stays found.
    chosen = selective_terms([c.term for c in concepts], papers, total)
    chosen = sorted(chosen, key=papers.__getitem__)[:NEWEST_WORDS]
    every_word = " AND ".join(indexed[t] for t in chosen)
    queries.append(CandidateQuery("paper", every_word, CANDIDATES, "newest", "newest"))
    return queries


def selective_terms(terms: Sequence[str], papers: Mapping[str, int], total: int) -> list[str]:
    """The terms worth matching on: a term in over COMMON_SHARE of papers says little and
    costs a lot, and is left out when rarer terms remain (the scorer still counts it)."""
    rare = [term for term in terms if papers[term] <= COMMON_SHARE * max(total, 1)]
    return rare or list(terms)


def title_group(concept: Concept) -> str:
    """An FTS5 expression for `concept` in title_fts, which holds raw (unstemmed) words:
    each inflection whose stem is the term (`scene OR scenes`), or the expansion."""
    spellings = inflections(concept.term, concept.typed)
    alternatives = [quote(word) for word in spellings]
    if concept.searched:
        alternatives += [title_phrase(spelt.split()) or quote(spelt) for spelt in concept.spellings]
    if len(alternatives) == 1:
        return alternatives[0]
    return "(" + " OR ".join(alternatives) + ")"


def index_group(concept: Concept) -> str:
    """An FTS5 expression for `concept` in paper_fts (stemmed terms)."""
    if not concept.searched:
        return quote(concept.term)
    return f"({quote(concept.term)} OR {quote(' '.join(concept.expansion))})"


def inflections(term: str, typed: str | None = None) -> list[str]:
    """The words that `text.stem` reduces to `term` among its usual inflections (plus
    the word as typed): title_fts holds words as written."""
    guesses = {term, typed or term}
    for ending in ("s", "e", "es", "ed", "d", "ing"):
        guesses.add(term + ending)
    if term:
        guesses.update((term + term[-1] + "ing", term + term[-1] + "ed"))
        if term.endswith("y"):
            guesses.add(term[:-1] + "ies")
    return sorted(word for word in guesses if text.stem(word) == term)


def corrected_words(query: str, plan: QueryPlan) -> list[str]:
    """The query's words, each misspelt one replaced by its correction when that is a
    word (a stem such as `languag` is not): title_fts holds words as written."""
    words = []
    for word in text.words(query):
        corrected = plan.corrections.get(text.stem(word))
        if corrected is not None and text.stem(corrected) == corrected:
            word = corrected
        words.append(word)
    return words


def title_phrase(words: Sequence[str]) -> str | None:
    """The query's content words as a title_fts phrase ("tree of thought": the words in
    order, or within as many words of each other as stopwords stand between them: a
    stopword's title doclist is long); None for fewer than two content words."""
    content = [index for index, word in enumerate(words) if word not in text.STOPWORDS]
    if len(content) < 2:
        return None
    phrases = " ".join(quote(words[index]) for index in content)
    between = content[-1] - content[0] + 1 - len(content)
    if not between:
        return quote(" ".join(words[index] for index in content))
    return f"NEAR({phrases}, {between})"
