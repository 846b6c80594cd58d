"""bot.acronyms: definitions found in abstracts, counted as papers are stored."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot import text
from bot.acronyms import definitions
from bot.concepts import ConceptReader
from bot.ingest import ingest_file, ingest_paths
from bot.search import Catalog
from bot.storage import Database
from tests.conftest import SEED_MAR13, SEEDS, TODAY


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        (
            "A new paradigm in natural language processing (NLP) is here.",
            {("nlp", "natural language processing")},
        ),
        ("Large language models (LLMs) are used.", {("llm", "large language models")}),
        (
            "Reinforcement learning from human feedback (RLHF) aligns models.",
            {("rlhf", "reinforcement learning from human feedback")},
        ),
        ("we prompt with chain-of-thought (CoT).", {("cot", "chain of thought")}),
        ("Recent text-to-image (T2I) models.", {("t2i", "text to image")}),
        ("They possess a theory of mind (ToM) of sorts.", {("tom", "theory of mind")}),
        # Not definitions: one capital, lowercase, no matching words, a lone word.
        ("The method (Ours) wins.", set()),
        ("Results (see below) hold.", set()),
        ("We use a new dataset (XYZ).", set()),
        ("Results on ImageNet (IN).", set()),
        # A long form stops at the end of the sentence before it.
        ("Natural language. Processing (NLP) matters.", set()),
    ],
)
def test_definitions(abstract: str, expected: set[tuple[str, str]]) -> None:
    assert definitions(abstract) == expected


def test_definitions_survive_hostile_text() -> None:
    for abstract in ["(", ")", "()", "(AB", "x (AB)", "((AB))", "(A1B2C3D4E5F6)", "é (ÉÉ)"]:
        assert isinstance(definitions(abstract), set)


async def acronym_rows(database: Database) -> dict[tuple[str, str], int]:
    rows = await database.connection.rows("SELECT acronym, expansion, papers FROM acronyms")
    return {(row[0], row[1]): row[2] for row in rows}


async def test_the_seeds_teach_their_acronyms(seeded: Catalog) -> None:
    rows = await acronym_rows(seeded.db)
    assert rows[("nlp", "natural language processing")] == 3
    assert rows[("rlhf", "reinforcement learning from human feedback")] == 5
    assert rows[("llm", "large language models")] > 50
    assert await seeded.db.acronyms.upto() == await seeded.db.archive.max_paper_id()
    found = await seeded.db.acronyms.expansions(["nlp", "rlhf", "diffusion"])
    assert found["nlp"] == [("natural language processing", 3)]
    assert "diffusion" not in found


async def test_a_file_ingested_again_is_not_counted_twice(catalog: Catalog) -> None:
    await ingest_file(catalog, SEED_MAR13, TODAY)
    before = await acronym_rows(catalog.db)
    await ingest_file(catalog, SEED_MAR13, TODAY)
    assert await acronym_rows(catalog.db) == before


async def test_bulk_and_file_by_file_count_the_same(tmp_path: Path, seeded: Catalog) -> None:
    async with await Database.open(tmp_path / "bulk.db") as database:
        bulk = await Catalog.load(database)
        await ingest_paths(bulk, [SEEDS], TODAY, workers=1)
        await bulk.tidy()
        assert await acronym_rows(database) == await acronym_rows(seeded.db)


async def test_papers_stored_before_the_table_are_counted_at_the_next_start(
    tmp_path: Path, seeded: Catalog
) -> None:
    expected = await acronym_rows(seeded.db)
    path = tmp_path / "upgraded.db"
    async with await Database.open(path) as database:
        await ingest_paths(await Catalog.load(database), [SEEDS], TODAY)
    with sqlite3.connect(path) as connection:  # as migration 13 leaves an older database
        connection.execute("DELETE FROM acronyms")
        connection.execute("UPDATE meta SET value = '0' WHERE key = 'acronyms_upto'")
    async with await Database.open(path) as database:
        catalog = await Catalog.load(database)
        assert await acronym_rows(database) == expected
        # The counts reach the newest paper again: new papers are counted as stored.
        assert await database.acronyms.upto() == catalog.paper_total


async def test_a_query_acronym_also_finds_its_expansion(seeded: Catalog) -> None:
    survey = (
        "Pre-train, Prompt, and Predict: A Systematic Survey of Prompting Methods in Natural "
        "Language Processing"
    )
    assert "nlp" not in text.terms(survey)  # it says "natural language processing" only
    for query in ("NLP", "nlp"):  # three papers define it: lowercase is read as it too
        titles = [paper.title for paper in (await seeded.search(query, limit=50)).papers]
        assert survey in titles, query


async def test_an_acronym_one_paper_defines_is_expanded_only_in_capitals(seeded: Catalog) -> None:
    assert (await seeded.db.acronyms.expansions(["car"]))["car"] == [
        ("conceptualization augmented reasoner", 1)
    ]
    reader = ConceptReader(seeded.db.acronyms)
    counts = (seeded.vocabulary.count, seeded.paper_total)
    (upper,) = await reader.read("CAR", seeded.plan("CAR"), *counts)
    assert upper.expansion == tuple(text.terms("conceptualization augmented reasoner"))
    (lower,) = await reader.read("car", seeded.plan("car"), *counts)  # may be just a car
    assert lower.expansion == ()


async def test_an_expansion_in_a_query_also_finds_the_acronym(seeded: Catalog) -> None:
    """One paper defines "theory of mind (ToM)"; its title says ToM only."""
    reader = ConceptReader(seeded.db.acronyms)
    counts = (seeded.vocabulary.count, seeded.paper_total)
    query = "theory of mind benchmark"
    concepts = await reader.read(query, seeded.plan(query), *counts)
    assert [concept.term for concept in concepts] == ["tom", "benchmark"]
    assert concepts[0].spellings == ("theory of mind",)
    results = await seeded.search("a theory of mind test applied implicitly")
    assert results.papers[0].title.startswith("SimpleToM:")
