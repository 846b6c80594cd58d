"""The bulk ingest path (worker processes, many files a transaction) against the one-by-one path."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from pathlib import Path

import pytest

from bot.digest import parse_file
from bot.ingest import BULK_MIN_FILES, default_workers, ingest_file, ingest_paths
from bot.search import Catalog
from bot.storage import Database
from bot.storage.connection import migration_scripts
from bot.watcher import digest_files
from tests.conftest import SEED_MAR13, SEED_MAR14, TODAY
from tests.helpers import METADATA_COLUMNS, downgrade, paper_count, schema_version

ARCHIVE_FILES = BULK_MIN_FILES + 10


def write_archive(folder: Path) -> Path:
    """Enough day files for the bulk path, made of the seeds' real papers.

    Neighbouring days share a paper (linked, not copied), one day is a copy of
    another under a new name, and one has a stray abstract at a known line.
    """
    folder.mkdir()
    papers = [
        (paper.title, paper.abstract)
        for seed in (SEED_MAR13, SEED_MAR14)
        for paper in parse_file(seed, TODAY).papers
    ]
    first = dt.date(2025, 1, 1)
    for index in range(ARCHIVE_FILES):
        day = first + dt.timedelta(days=index)
        chosen = [papers[(index * 3 + offset) % len(papers)] for offset in range(4)]
        lines = ["Daily Papers", "", day.strftime("%b %d, %Y"), ""]
        for title, abstract in chosen:
            lines += [title, "", abstract, ""]
        if index == 7:
            lines += [papers[0][1] + " Again.", ""]  # an abstract with no title
        (folder / f"{day.isoformat()}.txt").write_text("\n".join(lines), encoding="utf-8")
    for index in HUB_DAYS:
        write_hub_days(folder, first + dt.timedelta(days=index), papers[(index - 1) * 3 :][:4])
    copy = folder / f"{(first + dt.timedelta(days=ARCHIVE_FILES)).isoformat()}.txt"
    copy.write_bytes((folder / f"{first.isoformat()}.txt").read_bytes())
    return folder


HUB_DAYS = (5, 15, 25)


def write_hub_days(folder: Path, day: dt.date, papers: list[tuple[str, str]]) -> None:
    """A Hub day listing the papers of the text day before (which gain arXiv ids) and a
    new one, then the same day fetched again a day later (more upvotes, one more paper).
    Named to be read just before that day's text file."""
    names = ["Ada Lovelace", "Łukasz Kaiser", "Alan Turing", "Grace Hopper"]
    items = [
        {
            "title": title,
            "summary": abstract,
            "numComments": n,
            "paper": {
                "id": f"2501.{day.day:02d}{n:03d}",
                "authors": [{"name": name} for name in names[n:]],
                "upvotes": n,
                "githubRepo": f"https://github.com/lab/repo{n}",
            },
        }
        for n, (title, abstract) in enumerate([*papers, (f"Hub Paper {day}", papers[0][1])])
    ]
    document = {"day": day.isoformat(), "fetched_at": f"{day}T02:00:00Z", "items": items}
    (folder / f"{day}.json").write_text(json.dumps(document), encoding="utf-8")
    for item in items:
        item["paper"]["upvotes"] += 10
    extra = {"title": f"Late Paper {day}", "summary": papers[1][1], "paper": {"id": "2501.99999"}}
    refetched = {**document, "fetched_at": f"{day}T23:00:00Z", "items": [*items, extra]}
    (folder / f"{day}.refetch.json").write_text(json.dumps(refetched), encoding="utf-8")


def table(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


STORED = {
    "papers": "SELECT id, title_key, title, abstract, links, first_day FROM papers ORDER BY id",
    "appearances": "SELECT day, position, paper_id FROM appearances ORDER BY day, position",
    "digests": "SELECT source, day, content_hash, paper_count FROM digests ORDER BY id",
    "terms": "SELECT term, doc, cnt FROM paper_vocab ORDER BY term",
    "metadata": f"SELECT id, {', '.join(METADATA_COLUMNS)} FROM papers ORDER BY id",
    "authors": "SELECT term, doc, cnt FROM author_vocab ORDER BY term",
    "acronyms": "SELECT acronym, expansion, papers FROM acronyms ORDER BY acronym, expansion",
    "acronyms counted": "SELECT value FROM meta WHERE key = 'acronyms_upto'",
    "focus": "SELECT term, doc, cnt FROM focus_vocab ORDER BY term",
    "focus indexed": "SELECT value FROM meta WHERE key = 'focus_upto'",
}


async def test_bulk_path_stores_exactly_what_one_by_one_stores(tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "archive")
    async with await Database.open(tmp_path / "one.db") as one_db:
        one = await Catalog.load(one_db)
        one_reports = [await ingest_file(one, path, TODAY) for path in digest_files([archive])]
        await one.tidy()  # as the bot's pass does after posting: focus terms, acronyms
        one_results = [p.title for p in (await one.search("concept bottleneck")).papers]
    async with await Database.open(tmp_path / "bulk.db") as bulk_db:
        bulk = await Catalog.load(bulk_db)
        bulk_reports = await ingest_paths(bulk, [archive], TODAY, workers=2)
        assert await bulk.search("sparse concept bottleneck") is not None
        bulk_results = [p.title for p in (await bulk.search("concept bottleneck")).papers]
        bulk_vocabulary = bulk.vocabulary.counts()

    assert len(bulk_reports) == ARCHIVE_FILES + 1 + 2 * len(HUB_DAYS)
    assert [r.summary() for r in bulk_reports] == [r.summary() for r in one_reports]
    assert [r.problems for r in bulk_reports] == [r.problems for r in one_reports]
    assert [str(p) for r in bulk_reports for p in r.problems] == [
        f"{archive / '2025-01-08.txt'}:21: abstract with no title"
    ]
    assert bulk_reports[-1].outcome is not None and bulk_reports[-1].outcome.already_ingested
    for name, sql in STORED.items():
        assert table(tmp_path / "bulk.db", sql) == table(tmp_path / "one.db", sql), name
    # The one-by-one catalog learnt its vocabulary paper by paper; the bulk one re-read it.
    assert bulk_vocabulary == one.vocabulary.counts()
    assert bulk_results and "Concept Bottleneck" in bulk_results[0]
    assert bulk_results == one_results
    hub = table(
        tmp_path / "bulk.db", "SELECT count(*), sum(upvotes) FROM papers WHERE arxiv_id > ''"
    )
    assert hub == [(5 * len(HUB_DAYS) + 1, sum(10 + n for n in range(5)) * len(HUB_DAYS))]


def fts_setting(path: Path, name: str) -> list[tuple[object, ...]]:
    return table(path, f"SELECT v FROM paper_fts_config WHERE k = '{name}'")


async def test_bulk_load_restores_index_merging_even_when_it_fails(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.index.bulk_load():
            assert fts_setting(database.path, "crisismerge") == [(64,)]
            assert await database.get_meta("bulk_load") == "running"
            raise RuntimeError("disk trouble")
    assert fts_setting(database.path, "automerge") == [(0,)]  # tidy_index merges instead
    assert fts_setting(database.path, "crisismerge") == [(16,)]
    assert fts_setting(database.path, "hashsize") == [(1024 * 1024,)]
    assert await database.get_meta("bulk_load") is None


async def test_an_interrupted_bulk_load_is_finished_on_open(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    async with await Database.open(path) as database:
        await ingest_file(await Catalog.load(database), SEED_MAR13, TODAY)
        await ingest_file(await Catalog.load(database), SEED_MAR14, TODAY)
    assert segment_count(path) == 2
    with sqlite3.connect(path) as connection:  # as a crash mid-load leaves it
        connection.execute("INSERT INTO paper_fts(paper_fts, rank) VALUES ('crisismerge', 64)")
        connection.execute("INSERT INTO meta(key, value) VALUES ('bulk_load', 'running')")
    async with await Database.open(path) as database:
        assert fts_setting(path, "crisismerge") == [(16,)]
        assert await database.get_meta("bulk_load") is None
    assert segment_count(path) == 1  # the load's final merge ran


@pytest.mark.parametrize(("automerge", "interrupted"), [(4, False), (0, True)])
async def test_version_4_databases_keep_their_meaning(
    tmp_path: Path, automerge: int, interrupted: bool
) -> None:
    """Up to version 4, automerge 0 marked an interrupted bulk load; 4 was the normal."""
    path = tmp_path / "p.db"
    async with await Database.open(path) as database:
        await ingest_file(await Catalog.load(database), SEED_MAR13, TODAY)
        await ingest_file(await Catalog.load(database), SEED_MAR14, TODAY)
    with sqlite3.connect(path) as connection:
        for table_name in ("paper_fts", "title_fts"):
            connection.execute(
                f"INSERT INTO {table_name}({table_name}, rank) VALUES ('automerge', ?)",
                (automerge,),
            )
        downgrade(connection, 4)
    async with await Database.open(path) as database:
        assert await schema_version(database) == len(migration_scripts())
        assert fts_setting(path, "automerge") == [(0,)]
    assert segment_count(path) == (1 if interrupted else 2)


def segment_count(path: Path) -> int:
    """How many FTS5 segments paper_fts has."""
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(DISTINCT segid) FROM paper_fts_idx").fetchone()[0]


async def test_the_final_merge_runs_only_when_the_load_wrote_most_of_the_index(
    tmp_path: Path,
) -> None:
    archive = write_archive(tmp_path / "archive")
    async with await Database.open(tmp_path / "p.db") as database:
        catalog = await Catalog.load(database)
        await ingest_paths(catalog, [archive], TODAY, workers=1)
        assert segment_count(database.path) == 1  # one merged segment
        total = await paper_count(database)
        # A second bulk load adding fewer papers than there are leaves that segment alone.
        more = tmp_path / "more"
        more.mkdir()
        titles = [title for (title,) in table(database.path, "SELECT title FROM papers")]
        for index in range(BULK_MIN_FILES):
            day = dt.date(2026, 1, 1) + dt.timedelta(days=index)
            abstract = "A later version of this work. " * 20
            (more / f"{day}.txt").write_text(f"{day}\n\n{titles[index]} (v2)\n\n{abstract}\n")
        await ingest_paths(catalog, [more], TODAY, workers=1)
        assert await paper_count(database) == total + BULK_MIN_FILES < 2 * total
        assert segment_count(database.path) > 1


async def test_a_folder_loaded_before_is_not_parsed_again(tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "archive")
    async with await Database.open(tmp_path / "p.db") as database:
        catalog = await Catalog.load(database)
        first = await ingest_paths(catalog, [archive], TODAY, workers=1)
        (archive / "zz-new-day.txt").write_text(  # sorts last
            "Oct 1, 2026\n\nA New Title\n\n" + "A new abstract. " * 30
        )
        again = await ingest_paths(catalog, [archive], TODAY, workers=1)
    assert [r.day for r in again[:-1]] == [r.day for r in first]
    known = again[:-1]
    assert all(r.outcome is not None and r.outcome.already_ingested for r in known)
    # Known by content hash before parsing: the stray abstract of day 8 is not reported again.
    assert [p for r in known for p in r.problems] == []
    assert again[-1].outcome is not None and again[-1].outcome.new_papers == 1


def rewrite_keeping_size_and_time(path: Path, old: str, new: str) -> None:
    """Change a file's bytes but not its size or modification time."""
    assert len(old) == len(new)
    stat = path.stat()
    path.write_text(path.read_text().replace(old, new, 1))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size


async def test_a_restart_trusts_unchanged_files_and_reads_changed_ones(tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "archive")
    days = sorted(archive.iterdir())
    async with await Database.open(tmp_path / "p.db") as database:
        catalog = await Catalog.load(database)
        await ingest_paths(catalog, [archive], TODAY, workers=1)
        papers = await paper_count(database)
        # Same size and time: trusted unread, so even a changed title is not seen.
        rewrite_keeping_size_and_time(days[0], "Daily Papers", "Daily Pipers")
        # A new time: read again; its content is known, so nothing is added.
        os.utime(days[1], ns=(0, days[1].stat().st_mtime_ns + 10**9))
        # A new size: read, parsed and its new paper stored.
        with days[2].open("a") as file:
            file.write("\nA Paper Added Later\n\n" + "Its abstract, added later. " * 10 + "\n")
        again = await ingest_paths(catalog, [archive], TODAY, workers=1)
        assert await paper_count(database) == papers + 1
    assert all(r.outcome is not None and r.outcome.already_ingested for r in again[:2])
    assert again[2].outcome is not None and again[2].outcome.new_papers == 1


async def test_files_recognised_by_hash_are_remembered(tmp_path: Path) -> None:
    """A database from before version 6 knows no file: the first restart hashes and
    remembers them, the next one trusts them."""
    archive = write_archive(tmp_path / "archive")
    files = len(digest_files([archive]))
    async with await Database.open(tmp_path / "p.db") as database:
        catalog = await Catalog.load(database)
        await ingest_paths(catalog, [archive], TODAY, workers=1)
        assert len(await database.archive.known_file_hashes()) == files
    with sqlite3.connect(tmp_path / "p.db") as connection:
        connection.execute("DELETE FROM digest_files")
    async with await Database.open(tmp_path / "p.db") as database:
        catalog = await Catalog.load(database)
        again = await ingest_paths(catalog, [archive], TODAY, workers=1)
        assert all(r.outcome is not None and r.outcome.already_ingested for r in again)
        assert len(await database.archive.known_file_hashes()) == files


def test_bulk_workers_follow_the_usable_cores_up_to_four() -> None:
    assert 1 <= default_workers() <= 4
    assert default_workers() == min(len(os.sched_getaffinity(0)), 4)


async def test_commits_do_not_merge_the_index_and_tidy_index_does(tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "archive")
    files = digest_files([archive])[:12]
    async with await Database.open(tmp_path / "p.db") as database:
        catalog = await Catalog.load(database)
        for path in files:
            await ingest_file(catalog, path, TODAY)
        before = [p.title for p in (await catalog.search("concept bottleneck")).papers]
        # One segment per day's commit: a new day never waits for a merge.
        assert segment_count(database.path) == len(files)
        assert await database.index.tidy() >= 1
        assert segment_count(database.path) < 6
        assert await database.index.tidy() == 0  # nothing left to merge
        after = [p.title for p in (await catalog.search("concept bottleneck")).papers]
    assert after == before and after
