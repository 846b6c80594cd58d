"""bot.storage.search_index: bounded candidate queries, the focus index, field lengths."""

from __future__ import annotations

from pathlib import Path

from bot.search import Catalog
from bot.storage import Database
from bot.storage.search_index import CandidateQuery


async def test_candidate_queries_are_answered_in_one_statement(seeded: Catalog) -> None:
    index = seeded.db.index
    found = await index.candidates(
        [
            CandidateQuery("title", '"mirostat"', 5, "newest"),
            CandidateQuery("paper", '"mirostat"', 5, "rank"),
            CandidateQuery("title", '"zzzzqqq"', 5, "rank"),
            CandidateQuery("paper", '"diffusion"', 3, "newest"),
        ]
    )
    (mirostat,) = await seeded.db.archive.papers_by_ids(found[0])
    assert mirostat.title.startswith("Mirostat")
    assert found[1][0] == mirostat.id
    assert found[2] == []
    assert len(found[3]) == 3 and found[3] == sorted(found[3], reverse=True)
    assert await index.candidates([]) == []


async def test_weighted_candidates_sum_the_weights_of_what_each_paper_matches(
    seeded: Catalog,
) -> None:
    weighted = (('{title} : "bottleneck"', 2.0), ('{repeated} : "bottleneck"', 1.0))
    query = CandidateQuery("focus", "", 50, "weighted", "focus", weighted)
    (ids,) = await seeded.db.index.candidates([query])
    papers = await seeded.db.archive.papers_by_ids(ids)
    in_title = ["Bottleneck" in paper.title for paper in papers]
    assert in_title[0] and in_title == sorted(in_title, reverse=True)  # title 2 + 1 first
    # Only papers whose title holds it, or whose abstract uses it twice or more.
    assert all(
        flag or paper.abstract.lower().count("bottleneck") >= 2
        for flag, paper in zip(in_title, papers, strict=True)
    )


async def test_focus_counts_are_papers_about_each_word(seeded: Catalog) -> None:
    counts = await seeded.db.index.focus_counts(["bottleneck", "zzzzqqq", "the"])
    assert set(counts) == {"bottleneck"}  # nothing is about an unknown word or a stopword
    assert 5 <= counts["bottleneck"] <= seeded.vocabulary.count("bottleneck")
    assert await seeded.db.index.focus_counts([]) == {}


async def test_field_lengths_are_the_index_averages(seeded: Catalog, tmp_path: Path) -> None:
    title, abstract = await seeded.db.index.field_lengths()
    assert 5 < title < 20 and 150 < abstract < 300
    async with await Database.open(tmp_path / "empty.db") as empty:
        assert await empty.index.field_lengths() == (0.0, 0.0)


async def test_acronyms_are_found_by_their_expansion(seeded: Catalog) -> None:
    named = await seeded.db.acronyms.named_by(["theory of mind", "no such words"])
    assert named == [("tom", "theory of mind", 1)]
    assert await seeded.db.acronyms.named_by([]) == []
