"""bot.search: relevance, typo tolerance, hostile input, random draws and autocomplete."""

from __future__ import annotations

import random
from pathlib import Path

from benchmarks.relevance import PHRASE_TOP, PLAIN_TOP, TYPO_TOP, title_has
from bot import search, text
from bot.candidates import CANDIDATES
from bot.ingest import ingest_paths
from bot.models import Paper
from bot.search import (
    AUTOCOMPLETE_CHOICES,
    Catalog,
    SearchResults,
    quote,
)
from tests.conftest import TODAY
from tests.helpers import index_text, paper_count

# The relevance tables (query, expected) live with the harness that also runs them on
# generated archives of 10k-1M papers (benchmarks/relevance.py, tests/test_relevance.py).
EXACT_TOP = PLAIN_TOP

HOSTILE = [
    '"',
    "*",
    "NEAR(",
    "a OR",
    ")",
    "x" * 2000,
    "lorem ipsum dolor " * 111,
    "🙂🔥🧪",
    "",
    "   \t\n ",
    "title:foo",
    "abstract: diffusion",
    "-x",
    "AND",
    "NOT",
    "OR",
    "(((",
    "'; DROP TABLE papers; --",
    '"unterminated diffusion',
    "diffusion*",
    "^diffusion",
    "{title abstract}: x",
    "NEAR(diffusion model, 2)",
    "\x00\x01\x02",
    "\u202e\u200b",
]


# -- relevance ----------------------------------------------------------------


# One test per table, not one per query: each query is checked and every miss is listed,
# without paying for a freshly seeded database per query.


async def test_top_results(seeded: Catalog) -> None:
    misses = []
    for query, expected in EXACT_TOP:
        results = await seeded.search(query)
        top = results.papers[0].title if results.papers else None
        if top != expected:
            misses.append(f"{query!r}: got {top!r}, expected {expected!r}")
    assert misses == []


async def test_top_results_hold_the_phrase(seeded: Catalog) -> None:
    misses = []
    for query, words in PHRASE_TOP:
        results = await seeded.search(query)
        top = results.papers[0].title if results.papers else ""
        if not title_has(top, words):
            misses.append(f"{query!r}: got {top!r}, which lacks {words!r}")
    assert misses == []


async def test_typos_are_corrected(seeded: Catalog) -> None:
    misses = []
    for query, corrections, words in TYPO_TOP:
        results = await seeded.search(query)
        top = results.papers[0].title if results.papers else ""
        if results.corrections != corrections or not title_has(top, words):
            misses.append(f"{query!r}: corrected {results.corrections}, got {top!r}")
    assert misses == []


def test_relevance_tables_are_big_enough() -> None:
    assert len(EXACT_TOP) + len(PHRASE_TOP) + len(TYPO_TOP) >= 40
    assert len(TYPO_TOP) >= 5
    assert {"TALC", "OUTFOX", "QCRD"} <= {query for query, _ in EXACT_TOP}


async def test_typo_query_ranks_like_the_correct_one(seeded: Catalog) -> None:
    right = await seeded.search("concept bottleneck", limit=10)
    wrong = await seeded.search("conept botleneck", limit=10)
    assert [p.id for p in wrong.papers] == [p.id for p in right.papers]
    assert right.total == wrong.total == 7
    assert all("bottleneck" in text.terms(p.title + " " + p.abstract) for p in right.papers)


async def test_all_concept_bottleneck_titles_come_before_the_rest(seeded: Catalog) -> None:
    results = await seeded.search("concept bottleneck", limit=10)
    # Stems: "Concept Bottlenecks" counts too.
    flags = [" concept bottleneck " in f" {index_text(p.title)} " for p in results.papers]
    assert flags.count(True) == 5
    assert flags == sorted(flags, reverse=True)


async def test_exact_title_first_even_when_shorter_titles_match(seeded: Catalog) -> None:
    results = await seeded.search("Critique Ability of Large Language Models")
    assert results.papers[0].title == "Critique Ability of Large Language Models"


def write_digest(path: Path, date: str, papers: list[tuple[str, str]]) -> Path:
    blocks = [date] + [line for paper in papers for line in paper]
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path


async def test_exact_title_first_even_when_older_than_every_candidate(
    seeded: Catalog, tmp_path: Path
) -> None:
    """Candidates are the newest matches; an exact title is fetched even when older."""
    title = "Attention Is All You Need"
    write_digest(tmp_path / "old.txt", "Mar 1", [(title, "Transformers replace recurrence.")])
    crowd = [
        (f"Study {n} of Attention", "All you need is attention, as this study finds.")
        for n in range(CANDIDATES + 20)
    ]
    write_digest(tmp_path / "new.txt", "Mar 20", crowd)
    await ingest_paths(seeded, [tmp_path / "old.txt", tmp_path / "new.txt"], today=TODAY)

    results = await seeded.search(title.lower())
    assert results.papers[0].title == title


async def test_results_paginate(seeded: Catalog) -> None:
    first = await seeded.search("diffusion", limit=5)
    second = await seeded.papers(first.ids[5:10])
    everything = await seeded.search("diffusion", limit=50)
    assert first.total == everything.total == len(everything.papers) == len(first.ids)
    assert first.total > 10
    assert [p.id for p in first.papers + second] == [p.id for p in everything.papers[:10]]
    assert first.terms == ("diffusion",)
    assert await seeded.papers(first.ids[everything.total :]) == []


async def test_papers_holding_every_word_come_first(seeded: Catalog) -> None:
    """Papers missing a word of a longer query may follow (a word may be misremembered),
    but those holding every word come first."""
    results = await seeded.search("masked reasoning steps", limit=50)
    flags = [
        {"mask", "reason", "step"} <= set(text.terms(paper.title + " " + paper.abstract))
        for paper in results.papers
    ]
    assert flags[0] and flags == sorted(flags, reverse=True)


async def test_a_two_word_query_keeps_only_papers_holding_both(seeded: Catalog) -> None:
    results = await seeded.search("concept bottleneck", limit=50)
    assert results.total == 7
    for paper in results.papers:
        assert {"concept", "bottleneck"} <= set(text.terms(paper.title + " " + paper.abstract))


async def test_falls_back_to_any_term_when_no_paper_has_all(seeded: Catalog) -> None:
    results = await seeded.search("mirostat sycophancy")
    assert {p.title.split(":")[0] for p in results.papers} == {
        "Mirostat",
        "Sycophancy to Subterfuge",
    }


async def test_no_match(seeded: Catalog) -> None:
    results = await seeded.search("zzzzqqq")
    assert results == SearchResults([], [], (), {}, unknown=("zzzzqqq",))


async def test_results_carry_days(seeded: Catalog) -> None:
    results = await seeded.search("Masked Thought")
    assert len(results.papers[0].days) == 2


async def test_find_paper(seeded: Catalog) -> None:
    exact = await seeded.find_paper("post-hoc concept bottleneck models")
    assert exact is not None and exact.title == "Post-hoc Concept Bottleneck Models"
    cut = await seeded.find_paper("Sycophancy to Subterfuge: Investigating Reward-Tamp")
    assert cut is not None and cut.title.startswith("Sycophancy to Subterfuge")
    assert await seeded.find_paper("") is None
    assert await seeded.find_paper("?!") is None
    assert await seeded.find_paper("zzzzqqq") is None


# -- hostile input ------------------------------------------------------------


async def test_hostile_queries_never_raise(seeded: Catalog) -> None:
    for query in HOSTILE:
        results = await seeded.search(query)
        assert isinstance(results, SearchResults), query
        assert len(results.papers) <= 5
        assert results.total >= len(results.papers)
        assert isinstance(await seeded.titles_like(query), list)
        await seeded.find_paper(query)
        await seeded.random_paper(query, rng=random.Random(0))
    assert await paper_count(seeded.db) == 163
    rows = await seeded.db.connection.rows("SELECT count(*) FROM papers")
    assert rows[0][0] == 163
    assert (await seeded.search("TALC")).total == 1


async def test_words_in_no_paper_are_left_out_and_named(seeded: Catalog) -> None:
    results = await seeded.search("conept bottleneck zzzzqqq xqxqxq")
    assert results.unknown == ("zzzzqqq", "xqxqxq")
    assert results.corrections == {"conept": "concept"}
    assert "Concept Bottleneck" in results.papers[0].title
    assert (await seeded.search("concept bottleneck")).unknown == ()


def test_readable_corrections_pick_the_spelling_closest_to_the_typo() -> None:
    plan = search.QueryPlan(
        ("model", "languag"),
        {"modl": "model", "langaug": "languag", "qqqq": "zzzz"},
        typed={"modl": "modles", "langaug": "langauge", "qqqq": "qqqq"},
    )
    paper = Paper(1, "Language Modeling", "A model of models for languages.", (), ())
    assert search.readable_corrections(plan, [paper]) == {
        "modles": "models",
        "langauge": "language",
        "qqqq": "zzzz",  # no paper spells it: the term itself
    }


async def test_left_out_words_are_named_as_typed_not_stemmed(seeded: Catalog) -> None:
    results = await seeded.search("Concept Frobnicated zorbings")
    assert results.unknown == ("frobnicated", "zorbings")


async def test_candidate_texts_and_the_exact_title_in_one_query(seeded: Catalog) -> None:
    title = "Critique Ability of Large Language Models"
    exact = await seeded.db.archive.paper_id_by_key(text.title_key(title))
    assert exact is not None
    texts, found = await seeded.db.archive.texts_and_title_match([], text.title_key(title))
    assert found == exact and texts[exact][0] == title
    texts, found = await seeded.db.archive.texts_and_title_match([3, 1], "no such title")
    assert found is None and list(texts) == [3, 1]


async def test_queries_with_only_punctuation_or_unknown_words_are_empty(seeded: Catalog) -> None:
    for query in ['"', "*", ")", "(((", "", "   ", "🙂🔥", "x" * 2000]:
        results = await seeded.search(query)
        assert results.papers == [], query
        assert results.total == 0


async def test_operator_words_are_plain_words(seeded: Catalog) -> None:
    # "not" is a word in one title, not an FTS5 operator.
    results = await seeded.search("not sufficient")
    assert results.papers[0].title.startswith("Alignment is not sufficient")


def test_quote_escapes_double_quotes() -> None:
    assert quote('a"b') == '"a""b"'
    assert quote("NEAR") == '"NEAR"'


# -- random -------------------------------------------------------------------


async def test_random_paper(seeded: Catalog) -> None:
    paper = await seeded.random_paper()
    assert paper is not None
    assert paper.title
    assert paper.days


async def test_random_paper_is_reproducible_with_a_seed(seeded: Catalog) -> None:
    first = [(await seeded.random_paper(rng=random.Random(7))).id for _ in range(3)]
    assert len(set(first)) == 1


async def test_random_papers_cover_the_archive(seeded: Catalog) -> None:
    rng = random.Random(2026)
    ids = set()
    for _ in range(1000):
        paper = await seeded.random_paper(rng=rng)
        assert paper is not None
        ids.add(paper.id)
    # 1000 uniform draws over 163 papers miss any one with probability ~0.2%.
    assert len(ids) > 150


async def test_random_paper_on_a_topic(seeded: Catalog) -> None:
    rng = random.Random(5)
    ids = set()
    for _ in range(60):
        paper = await seeded.random_paper("diffusion", rng=rng)
        assert paper is not None
        words = text.words(paper.title + " " + paper.abstract)
        assert any(word.startswith("diffus") for word in words), paper.title
        ids.add(paper.id)
    assert len(ids) > 5


async def test_random_paper_on_a_misspelled_topic(seeded: Catalog) -> None:
    paper = await seeded.random_paper("sycophncy", rng=random.Random(1))
    assert paper is not None
    assert paper.title.startswith("Sycophancy to Subterfuge")


async def test_random_paper_on_a_rare_topic_finds_its_only_paper(seeded: Catalog) -> None:
    for seed in range(5):
        paper = await seeded.random_paper("mirostat", rng=random.Random(seed))
        assert paper is not None
        assert paper.title.startswith("Mirostat")


async def test_random_paper_with_an_unmatched_topic(seeded: Catalog) -> None:
    assert await seeded.random_paper("zzzzqqq") is None
    assert await seeded.random_paper("mirostat sycophancy") is None  # no paper has both


async def test_random_paper_blank_topic_means_any(seeded: Catalog) -> None:
    assert await seeded.random_paper("   ") is not None


async def test_random_paper_on_an_empty_catalog(catalog: Catalog) -> None:
    assert await catalog.random_paper() is None
    assert await catalog.random_paper("diffusion") is None
    results = await catalog.search("diffusion")
    assert results.papers == []
    assert await catalog.titles_like("conc") == []
    assert await catalog.titles_like("") == []
    assert await catalog.known_days() == []


# -- autocomplete -------------------------------------------------------------


async def test_titles_like_a_prefix(seeded: Catalog) -> None:
    choices = await seeded.titles_like("conc")
    assert 0 < len(choices) <= AUTOCOMPLETE_CHOICES
    for paper_id, title in choices:
        assert isinstance(paper_id, int)
        assert isinstance(title, str)
        assert any(word.startswith("conc") for word in text.words(title)), title
    concept = [title for _, title in choices if "concept" in title.lower()]
    assert len(concept) >= 15


async def test_titles_like_returns_real_ids(seeded: Catalog) -> None:
    choices = await seeded.titles_like("Sparse Concept Bottl")
    paper_id, title = choices[0]
    assert title == "Sparse Concept Bottleneck Models: Gumbel Tricks in Contrastive Learning"
    [paper] = await seeded.db.archive.papers_by_ids([paper_id])
    assert paper.title == title


async def test_titles_like_empty_fragment_gives_the_latest(seeded: Catalog) -> None:
    choices = await seeded.titles_like("")
    assert len(choices) == AUTOCOMPLETE_CHOICES
    assert choices[0] == (163, "Copyright Traps for Large Language Models")
    ids = [paper_id for paper_id, _ in choices]
    assert ids == sorted(ids, reverse=True)
    assert await seeded.titles_like("  ?! ") == choices


async def test_titles_like_with_a_typo(seeded: Catalog) -> None:
    choices = await seeded.titles_like("conept botleneck")
    assert choices
    assert "Concept Bottleneck" in choices[0][1]
    typo = await seeded.titles_like("difusion")
    assert typo
    assert all("diffusion" in title.lower() for _, title in typo[:5])


async def test_titles_like_respects_the_limit(seeded: Catalog) -> None:
    assert len(await seeded.titles_like("l", limit=3)) == 3
    assert len(await seeded.titles_like("language", limit=40)) == 40
