"""bot.ingest and bot.storage: digest files into a real SQLite file."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import shutil
import sqlite3
from pathlib import Path

import pytest

from bot import text
from bot.digest import Link, parse_file
from bot.ingest import ingest_file, ingest_paths, ingest_settled, prepare
from bot.models import DaySummary, NewPaper
from bot.search import Catalog
from bot.storage import Database
from bot.storage.connection import migration_scripts
from bot.watcher import FolderWatcher, digest_files
from tests.conftest import SEED_MAR13, SEED_MAR14, SEEDS, TODAY
from tests.helpers import add_digest, index_text, paper_count, schema_version

MAR13 = dt.date(2026, 3, 13)
MAR14 = dt.date(2026, 3, 14)
NEW_TITLE = "Zyzzogeton Attention: A Brand New Paper"
NEW_ABSTRACT = (
    "We introduce zyzzogeton attention for large language models. It improves accuracy on "
    "many benchmarks. Code is at https://github.com/example/zyzzogeton."
)


async def appearance_count(database: Database) -> int:
    return sum(summary.paper_count for summary in await database.archive.known_days())


async def digest_count(database: Database) -> int:
    return len(await database.connection.rows("SELECT id FROM digests"))


def new_paper(title: str, abstract: str = NEW_ABSTRACT) -> NewPaper:
    return NewPaper(
        title_key=text.title_key(title),
        title=title,
        abstract=abstract,
        links=(),
        index_title=index_text(title),
        index_abstract=index_text(abstract),
    )


def write_digest(path: Path, *lines: str, date: str = "Mar 15") -> Path:
    path.write_text("\n\n".join([date, *lines]) + "\n", encoding="utf-8")
    return path


# -- the seeds ----------------------------------------------------------------


async def test_ingest_seeds(catalog: Catalog) -> None:
    reports = await ingest_paths(catalog, [SEEDS], today=TODAY)
    database = catalog.db
    assert [Path(report.source).name for report in reports] == [SEED_MAR13.name, SEED_MAR14.name]
    assert all(report.stored and not report.problems for report in reports)
    first, second = (report.outcome for report in reports)
    assert first is not None and second is not None
    assert (first.day, first.new_papers, first.known_papers, first.added_to_day) == (
        MAR13,
        79,
        0,
        79,
    )
    assert (second.day, second.new_papers, second.known_papers, second.added_to_day) == (
        MAR14,
        84,
        3,
        87,
    )
    assert await paper_count(database) == 163
    assert await database.archive.known_days() == [DaySummary(MAR14, 87), DaySummary(MAR13, 79)]
    assert await appearance_count(database) == 166
    assert await database.archive.latest_day() == MAR14
    assert await digest_count(database) == 2


async def test_day_order_follows_the_file(seeded: Catalog) -> None:
    for seed, day in ((SEED_MAR13, MAR13), (SEED_MAR14, MAR14)):
        expected = [paper.title for paper in parse_file(seed, today=TODAY).papers]
        assert [paper.title for paper in await seeded.day(day)] == expected


async def test_papers_on_both_days_are_stored_once(seeded: Catalog) -> None:
    key = text.title_key("Masked Thought: Simply Masking Partial Reasoning Steps")
    rows = await seeded.db.connection.rows(
        "SELECT id, first_day FROM papers WHERE title_key LIKE ?", (key + "%",)
    )
    [(paper_id, first_day)] = rows
    assert first_day == MAR13.isoformat()
    [paper] = await seeded.db.archive.papers_by_ids([paper_id])
    assert paper.days == (MAR13, MAR14)
    assert paper_id in await seeded.db.archive.day_paper_ids(MAR13)
    assert paper_id in await seeded.db.archive.day_paper_ids(MAR14)


async def test_stored_links(seeded: Catalog) -> None:
    paper = await seeded.find_paper(
        "MalAlgoQA: Pedagogical Evaluation of Counterfactual Reasoning in Large Language "
        "Models and Implications for AI in Education"
    )
    assert paper is not None
    assert paper.links == (Link("https://github.com/luffycodes/MalAlgoQA-Dataset", "code"),)
    assert paper.code_url == "https://github.com/luffycodes/MalAlgoQA-Dataset"
    assert paper.project_url is None
    talc = await seeded.find_paper(
        "TALC: Time-Aligned Captions for Multi-Scene Text-to-Video Generation"
    )
    assert talc is not None
    assert talc.project_url == "https://talc-mst2v.github.io/"
    assert talc.code_url is None


async def test_database_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "paperboy.db"
    async with await Database.open(path) as database:
        await ingest_paths(Catalog(database), [SEEDS], today=TODAY)
        assert await schema_version(database) == len(migration_scripts())
    async with await Database.open(path) as database:
        assert await schema_version(database) == len(migration_scripts())
        assert await paper_count(database) == 163
        catalog = await Catalog.load(database)
        assert "bottleneck" in catalog.vocabulary
        results = await catalog.search("concept bottleneck")
        assert "Concept Bottleneck" in results.papers[0].title


async def test_meta_round_trip(database: Database) -> None:
    assert await database.get_meta("cursor") is None
    await database.set_meta("cursor", "1")
    await database.set_meta("cursor", "2")
    assert await database.get_meta("cursor") == "2"


# -- re-ingest ----------------------------------------------------------------


async def test_same_files_again_change_nothing(seeded: Catalog) -> None:
    reports = await ingest_paths(seeded, [SEEDS], today=TODAY)
    assert len(reports) == 2
    for report in reports:
        assert report.outcome is not None
        assert report.outcome.already_ingested
        assert report.outcome.new_papers == 0
        assert "already ingested" in report.summary()
    assert await paper_count(seeded.db) == 163
    assert await appearance_count(seeded.db) == 166
    assert await digest_count(seeded.db) == 2


async def test_same_content_under_another_name_is_already_ingested(
    seeded: Catalog, tmp_path: Path
) -> None:
    copy = tmp_path / "renamed.txt"
    shutil.copyfile(SEED_MAR14, copy)
    report = await ingest_file(seeded, copy, today=TODAY)
    assert report.outcome is not None and report.outcome.already_ingested
    assert await paper_count(seeded.db) == 163


async def test_longer_version_of_a_known_day_adds_only_the_new_paper(
    seeded: Catalog, seeds_dir: Path
) -> None:
    database = seeded.db
    before = await database.archive.day_paper_ids(MAR14)
    path = seeds_dir / SEED_MAR14.name
    path.chmod(0o644)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"\n\n{NEW_TITLE}\n\n{NEW_ABSTRACT}\n")

    report = await ingest_file(seeded, path, today=TODAY)

    assert report.problems == []
    assert report.outcome is not None
    assert not report.outcome.already_ingested
    assert report.outcome.new_papers == 1
    assert report.outcome.known_papers == 87
    assert report.outcome.added_to_day == 1
    assert report.outcome.new_title_keys == (text.title_key(NEW_TITLE),)
    after = await database.archive.day_paper_ids(MAR14)
    assert after[:-1] == before
    [paper] = await database.archive.papers_by_ids(after[-1:])
    assert paper.title == NEW_TITLE
    assert paper.days == (MAR14,)
    assert paper.code_url == "https://github.com/example/zyzzogeton"
    assert await paper_count(database) == 164
    assert await database.archive.known_days() == [DaySummary(MAR14, 88), DaySummary(MAR13, 79)]
    assert await appearance_count(database) == 167
    # The catalog's vocabulary learned the new words: typos of them are corrected.
    results = await seeded.search("zyzzogetonn")
    assert [p.title for p in results.papers] == [NEW_TITLE]


async def test_a_known_paper_on_a_new_day_is_linked_not_copied(
    seeded: Catalog, tmp_path: Path
) -> None:
    title = "Large Language Models are Zero-Shot Reasoners"
    [existing] = [p for p in parse_file(SEED_MAR14, today=TODAY).papers if p.title == title]
    path = write_digest(tmp_path / "mar15.txt", title, existing.abstract, NEW_TITLE, NEW_ABSTRACT)
    report = await ingest_file(seeded, path, today=TODAY)
    assert report.outcome is not None
    assert (report.outcome.new_papers, report.outcome.known_papers) == (1, 1)
    assert await paper_count(seeded.db) == 164
    paper = await seeded.find_paper(title)
    assert paper is not None
    assert paper.days == (MAR14, dt.date(2026, 3, 15))
    assert [p.title for p in await seeded.day(dt.date(2026, 3, 15))] == [title, NEW_TITLE]


async def test_duplicate_title_in_a_file_is_reported_and_stored_once(
    catalog: Catalog, tmp_path: Path
) -> None:
    path = write_digest(
        tmp_path / "dup.txt",
        NEW_TITLE,
        NEW_ABSTRACT,
        "Another Title",
        NEW_ABSTRACT.replace("zyzzogeton", "other"),
        NEW_TITLE.upper(),
        NEW_ABSTRACT.replace("We introduce", "This copy introduces"),
    )
    report = await ingest_file(catalog, path, today=TODAY)
    [problem] = report.problems
    assert problem.source == str(path)
    assert problem.line == 11
    assert "repeated" in problem.message
    assert report.outcome is not None
    assert report.outcome.new_papers == 2
    assert await paper_count(catalog.db) == 2
    day = await catalog.day(dt.date(2026, 3, 15))
    assert [p.title for p in day] == [NEW_TITLE, "Another Title"]
    assert day[0].abstract == NEW_ABSTRACT  # the first one is kept


def test_prepare_reports_titles_without_words(tmp_path: Path) -> None:
    path = write_digest(tmp_path / "x.txt", "?!?", NEW_ABSTRACT, NEW_TITLE, NEW_ABSTRACT)
    digest = parse_file(path, today=TODAY)
    papers = prepare(digest)
    assert [p.title for p in papers] == [NEW_TITLE]
    assert papers[0].index_title == index_text(NEW_TITLE)
    assert any("no words" in problem.message and problem.line == 3 for problem in digest.problems)


@pytest.mark.parametrize("seed", [SEED_MAR13, SEED_MAR14], ids=["mar13", "mar14"])
def test_kept_terms_are_the_index_texts_terms(seed: Path) -> None:
    kept = prepare(parse_file(seed, today=TODAY), keep_terms=True)
    plain = prepare(parse_file(seed, today=TODAY))
    assert [paper.terms for paper in plain] == [None] * len(plain)  # bulk loads skip them
    assert [paper.vocabulary() for paper in kept] == [paper.vocabulary() for paper in plain]
    assert [paper.index_abstract for paper in kept] == [paper.index_abstract for paper in plain]


# -- failures store nothing ---------------------------------------------------


async def test_failed_digest_transaction_leaves_nothing_behind(seeded: Catalog) -> None:
    database = seeded.db
    # Two papers with one title key break the UNIQUE constraint halfway through the write.
    clash = [new_paper(NEW_TITLE), new_paper(NEW_TITLE.upper())]
    with pytest.raises(sqlite3.IntegrityError):
        await add_digest(database, "broken.txt", dt.date(2026, 3, 15), "hash-1", clash)

    assert await paper_count(database) == 163
    assert await database.archive.known_days() == [DaySummary(MAR14, 87), DaySummary(MAR13, 79)]
    assert not await database.archive.digest_known("hash-1")
    assert await digest_count(database) == 2
    assert await database.index.count_matches('"zyzzogeton"') == 0
    assert await database.index.title_matches('"zyzzogeton"', 10) == []

    # The database is still usable, and the same digest can be stored once fixed.
    outcome = await add_digest(
        database, "fixed.txt", dt.date(2026, 3, 15), "hash-1", [new_paper(NEW_TITLE)]
    )
    assert outcome.new_papers == 1
    assert await database.archive.digest_known("hash-1")
    assert await paper_count(database) == 164
    assert await database.index.count_matches('"zyzzogeton"') == 1


async def test_add_digest_twice_with_one_hash(database: Database) -> None:
    day = dt.date(2026, 3, 15)
    first = await add_digest(database, "a.txt", day, "same", [new_paper(NEW_TITLE)])
    second = await add_digest(database, "b.txt", day, "same", [new_paper("Other")])
    assert first.new_papers == 1
    assert second.already_ingested
    assert await paper_count(database) == 1


async def test_digest_without_papers_stores_nothing(catalog: Catalog, tmp_path: Path) -> None:
    path = write_digest(tmp_path / "titles.txt", NEW_ABSTRACT, "Just A Title")
    report = await ingest_file(catalog, path, today=TODAY)
    assert report.day == dt.date(2026, 3, 15)
    assert [problem.line for problem in report.problems[:2]] == [3, 5]
    assert not report.stored
    assert report.outcome is None
    assert "nothing stored" in report.summary()
    assert any(problem.message == "no papers found" for problem in report.problems)
    assert await paper_count(catalog.db) == 0
    assert await catalog.db.archive.known_days() == []
    assert await digest_count(catalog.db) == 0


async def test_bad_files_store_nothing_and_good_ones_still_do(
    catalog: Catalog, seeds_dir: Path
) -> None:
    (seeds_dir / "001_binary.txt").write_bytes(b"\x00\xff" * 64)
    (seeds_dir / "003_empty.txt").write_bytes(b"")
    nodate = seeds_dir / "004_nodate.txt"
    nodate.write_text(f"{NEW_TITLE}\n{NEW_ABSTRACT}\n", encoding="utf-8")
    (seeds_dir / ".hidden.txt").write_text("Mar 1\n", encoding="utf-8")

    reports = await ingest_paths(catalog, [seeds_dir], today=TODAY)

    by_name = {Path(report.source).name: report for report in reports}
    assert sorted(by_name) == [
        SEED_MAR13.name,
        "001_binary.txt",
        SEED_MAR14.name,
        "003_empty.txt",
        "004_nodate.txt",
    ]
    assert by_name[SEED_MAR13.name].stored and by_name[SEED_MAR14.name].stored
    for name in ("001_binary.txt", "003_empty.txt", "004_nodate.txt"):
        report = by_name[name]
        assert not report.stored
        assert report.problems
        assert all(problem.source == report.source for problem in report.problems)
    assert "binary" in by_name["001_binary.txt"].problems[0].message
    assert "no date line" in by_name["004_nodate.txt"].problems[0].message
    assert await paper_count(catalog.db) == 163
    assert await appearance_count(catalog.db) == 166


def test_digest_files_sorted_and_visible(seeds_dir: Path, tmp_path: Path) -> None:
    (seeds_dir / ".partial").write_text("x", encoding="utf-8")
    (seeds_dir / "subfolder").mkdir()
    single = tmp_path / "single.txt"
    single.write_text("x", encoding="utf-8")
    assert digest_files([seeds_dir, single]) == [
        seeds_dir / SEED_MAR13.name,
        seeds_dir / SEED_MAR14.name,
        single,
    ]


async def test_folder_watcher_takes_a_settled_file_once(seeds_dir: Path) -> None:
    watcher = FolderWatcher(seeds_dir, settle_seconds=0.05)
    ready = await watcher.ready()
    assert sorted(ready) == [seeds_dir / SEED_MAR13.name, seeds_dir / SEED_MAR14.name]
    for path in ready:
        watcher.mark_done(path)
    assert await watcher.ready() == []
    grown = seeds_dir / SEED_MAR14.name
    grown.chmod(0o644)
    with grown.open("a", encoding="utf-8") as handle:
        handle.write("\nmore\n")
    assert await watcher.ready() == [grown]  # a longer version is ingested again


async def test_folder_watcher_waits_while_a_file_is_being_written(tmp_path: Path) -> None:
    folder = tmp_path / "digests"
    folder.mkdir()
    watcher = FolderWatcher(folder, settle_seconds=0.2)
    watcher.start()
    partial = folder / "2026-03-15.txt"
    partial.write_text("Mar 15\n\nTitle\n", encoding="utf-8")

    async def keep_writing() -> None:
        await asyncio.sleep(0.05)
        with partial.open("a", encoding="utf-8") as handle:
            handle.write("\nstill writing the abstract\n")

    writer = asyncio.create_task(keep_writing())
    assert await watcher.ready() == []  # it changed between the two looks
    await writer
    assert await watcher.ready() == [partial]  # unchanged since the last pass: ready


async def test_folder_watcher_without_a_folder_finds_nothing(tmp_path: Path) -> None:
    assert await FolderWatcher(tmp_path / "missing").ready() == []


async def test_each_problem_of_a_settled_file_is_logged_once(
    catalog: Catalog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "digests"
    folder.mkdir()
    watcher = FolderWatcher(folder, settle_seconds=0)
    (folder / "stored.txt").write_text(
        "Mar 15, 2026\n\nA Title With No Abstract\n\nAnother Title\n\n"
        "We study things. It works well. We release code and data for everyone.\n",
        encoding="utf-8",
    )
    (folder / "empty.txt").write_text("\n\n", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="bot"):
        reports = await ingest_settled(catalog, watcher)
    problems = [
        r.getMessage() for r in caplog.records if r.getMessage().startswith("digest problem")
    ]
    expected = [f"digest problem: {p}" for report in reports for p in report.problems]
    assert len(expected) == 2 and sorted(problems) == sorted(expected)
