"""What the figures ask of an archive: queries, typed fragments, topics and keywords.

Everything is drawn with random.Random(seed) from the built database and the corpus
lexicon, so two runs over the same archive ask the same questions.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from benchmarks.corpus import Lexicon, make_abstract, make_title, zipf_cumulative
from bot import matching, text
from bot.errors import UserError
from bot.matching import Keyword
from bot.search import Catalog

QUERIES_PER_KIND = 30
TITLES_TYPED = 30
TYPED_LENGTHS = (3, 6, 10, 16, 24)


@dataclass(frozen=True)
class Workload:
    common_queries: list[str]
    multi_queries: list[str]
    typo_queries: list[str]
    prefix_fragments: list[str]
    typo_fragments: list[str]
    topic: str
    topic_share: float
    author_queries: list[str]  # an author's full name, as typed
    author_word_queries: list[str]  # a name and a common word


def common_words(catalog: Catalog, lexicon: Lexicon, papers: int) -> list[tuple[str, float]]:
    """(word, share of papers containing it), most common first; content words only."""
    vocabulary = catalog.vocabulary
    found: dict[str, float] = {}
    for unit in lexicon.content[:3000]:
        if " " in unit or not unit.isalpha() or not unit.islower() or len(unit) < 4:
            continue
        (term,) = text.terms(unit)
        if term not in text.STOPWORDS and term in vocabulary:
            found.setdefault(unit, vocabulary.count(term) / papers)
    return sorted(found.items(), key=lambda item: item[1], reverse=True)


def misspell(word: str, rng: random.Random) -> str:
    """One typing slip: a swapped pair, a dropped letter or a doubled letter."""
    position = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap":
        return word[:position] + word[position + 1] + word[position] + word[position + 2 :]
    if kind == "drop":
        return word[:position] + word[position + 1 :]
    return word[:position] + word[position] + word[position:]


async def build(catalog: Catalog, lexicon: Lexicon, papers: int, seed: int) -> Workload:
    """The queries, fragments and topic for one archive."""
    rng = random.Random(f"workload-{seed}-{papers}")
    common = common_words(catalog, lexicon, papers)
    top = [word for word, _share in common[:200]]
    titles = await _sample_titles(catalog, rng, TITLES_TYPED * 2)
    typed, misspelt = titles[:TITLES_TYPED], titles[TITLES_TYPED:]
    topic, share = min(common, key=lambda item: abs(item[1] - 0.15))
    authors = await _sample_authors(catalog, rng, QUERIES_PER_KIND * 2)
    return Workload(
        common_queries=[word for word, _share in common[:QUERIES_PER_KIND]],
        multi_queries=_multi_queries(rng, top, titles),
        typo_queries=[
            " ".join(misspell(word, rng) for word in rng.sample(top, rng.randint(1, 2)))
            for _ in range(QUERIES_PER_KIND)
        ],
        prefix_fragments=[title[:length] for title in typed for length in TYPED_LENGTHS],
        typo_fragments=[
            misspell(title[: rng.randint(8, 24)], rng) for title in misspelt if len(title) > 10
        ],
        topic=topic,
        topic_share=share,
        author_queries=authors[:QUERIES_PER_KIND],
        author_word_queries=[f"{name} {rng.choice(top)}" for name in authors[QUERIES_PER_KIND:]],
    )


def _multi_queries(rng: random.Random, top: list[str], titles: list[str]) -> list[str]:
    """Half: 2-3 adjacent words of a real title; half: 2-3 common words together."""
    queries = []
    for title in titles[: QUERIES_PER_KIND // 2]:
        words = [word for word in text.words(title) if word not in text.STOPWORDS]
        size = min(len(words), rng.randint(2, 3))
        start = rng.randrange(0, len(words) - size + 1)
        queries.append(" ".join(words[start : start + size]))
    while len(queries) < QUERIES_PER_KIND:
        queries.append(" ".join(rng.sample(top, rng.randint(2, 3))))
    return queries


async def _sample_authors(catalog: Catalog, rng: random.Random, count: int) -> list[str]:
    """Authors of random papers (one each), lowercased as a member may type them."""
    highest = await catalog.db.archive.max_paper_id()
    papers = await catalog.papers(rng.sample(range(1, highest + 1), count * 2))
    names = [rng.choice(paper.meta.authors).lower() for paper in papers if paper.meta.authors]
    if len(names) < count:
        raise RuntimeError("the archive's papers have no authors: is it made of Hub days?")
    return names[:count]


async def _sample_titles(catalog: Catalog, rng: random.Random, count: int) -> list[str]:
    highest = await catalog.db.archive.max_paper_id()
    ids = rng.sample(range(1, highest + 1), count)
    return [paper.title for paper in await catalog.papers(ids)]


# -- subscriptions ---------------------------------------------------------------------


# Words nobody follows: a keyword must name a topic.
FUNCTION_WORDS = frozenset(
    {
        "also",
        "can",
        "however",
        "not",
        "such",
        "their",
        "these",
        "they",
        "this",
        "those",
        "which",
        "while",
        "when",
        "where",
        "more",
        "show",
        "shows",
        "propose",
        "proposed",
        "using",
        "based",
        "new",
        "both",
        "each",
        "other",
        "only",
        "than",
        "then",
        "via",
        "over",
        "like",
        "without",
        "often",
        "better",
        "different",
        "various",
        "significantly",
    }
)
MAX_KEYWORD_SHARE = 0.2  # a keyword in more papers than this is too generic to follow
SHARE_SAMPLE = 400  # generated abstracts used to estimate each phrase's share of papers


def keyword_pool(lexicon: Lexicon, seed: int) -> tuple[list[str], list[float]]:
    """Followable units (at most 3 words, in at most 20% of papers), with Zipf weights.

    Each unit's share of papers is estimated on a sample of generated abstracts, so the
    generic head of the vocabulary ("models", "these") is left out, as real members
    would leave it out; the rest keep their rank order, hence their Zipf weights.
    """
    rng = random.Random(f"shares-{seed}")
    seen: Counter[str] = Counter()
    for _ in range(SHARE_SAMPLE):
        title, abstract = make_title(rng, lexicon), make_abstract(rng, lexicon)
        seen.update(phrases(text.terms(title), 3) | phrases(text.terms(abstract), 3))
    pool = [
        unit
        for unit in lexicon.content[:50_000]
        if len(unit.split()) <= 3
        and any(len(word) >= 3 and word.isalpha() for word in text.words(unit))
        and not FUNCTION_WORDS.intersection(text.words(unit))
        and seen[" ".join(text.terms(unit))] <= MAX_KEYWORD_SHARE * SHARE_SAMPLE
    ]
    return pool, list(zipf_cumulative(len(pool)))


def phrases(terms: list[str], longest: int) -> set[str]:
    """Every run of 1..`longest` consecutive terms, joined by spaces (keyword keys)."""
    return {
        " ".join(terms[start : start + size])
        for start in range(len(terms))
        for size in range(1, min(longest, len(terms) - start) + 1)
    }


def keywords(lexicon: Lexicon, count: int, seed: int) -> list[tuple[int, Keyword]]:
    """`count` (user id, keyword) pairs: Zipf-drawn followable phrases, a fifth with excludes.

    Members follow 1 to 25 keywords each (the bot's limit), never the same key twice.
    """
    pool, cumulative = keyword_pool(lexicon, seed)
    rng = random.Random(f"keywords-{seed}-{count}")
    pairs: list[tuple[int, Keyword]] = []
    user_id = 10**17
    while len(pairs) < count:
        user_id += 1
        wanted = min(count - len(pairs), rng.randint(1, matching.MAX_SUBSCRIPTIONS))
        keys: set[str] = set()
        for label in rng.choices(pool, cum_weights=cumulative, k=wanted * 3):
            keyword = _keyword(rng, pool, label)
            if keyword is None or keyword.key in keys:
                continue
            keys.add(keyword.key)
            pairs.append((user_id, keyword))
            if len(keys) == wanted:
                break
    return pairs


def _keyword(rng: random.Random, pool: list[str], label: str) -> Keyword | None:
    exclude = None
    if rng.random() < 0.2:
        exclude = " ".join(rng.choice(pool[:2000]).split()[0] for _ in range(rng.randint(1, 2)))
    try:
        return matching.parse_keyword(label, exclude)
    except UserError:  # an exclude word equal to the keyword: draw another
        return None
