"""bot.storage.connection: numbered migrations applied once each, whole or not at all."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.ingest import ingest_paths
from bot.matching import parse_keyword
from bot.search import Catalog
from bot.storage import Database
from bot.storage import connection as connection_module
from bot.storage.connection import (
    Connection,
    DatabaseUnusable,
    migration_scripts,
    split_statements,
)
from tests.conftest import SEEDS, TODAY
from tests.helpers import downgrade, paper_count, schema_version
from tests.hub_server import FIXTURES

# Everything a version-8 database holds, read the same way before and after migrating.
KEPT = {
    "papers": "SELECT id, title_key, title, abstract, links, first_day FROM papers ORDER BY id",
    "appearances": "SELECT * FROM appearances ORDER BY day, position",
    "digests": "SELECT * FROM digests ORDER BY id",
    "digest_files": "SELECT * FROM digest_files ORDER BY source",
    "terms": "SELECT term, doc, cnt FROM paper_vocab ORDER BY term",
    "titles": "SELECT rowid FROM title_fts WHERE title_fts MATCH 'concept' ORDER BY rowid",
    "term_counts": "SELECT * FROM term_counts ORDER BY term",
    # acronyms_upto, focus_upto: migrations 13 and 14 add them at 0, and the next start
    # counts on from there (bot.catch_up).
    "meta": "SELECT * FROM meta WHERE key NOT LIKE 'command_tree%' "
    "AND key NOT IN ('acronyms_upto', 'focus_upto') ORDER BY key",
    "guild_channels": "SELECT guild_id, channel_id, since_day, configured_by, configured_at, "
    "failures, retry_after, last_error FROM guild_channels",
    "posts": "SELECT id, guild_id, day, channel_id, requested_by, header_message_id, "
    "thread_id, target_id, papers_sent, status, error, created_at FROM posts",
    "subscriptions": "SELECT id, guild_id, user_id, label, keyword_key, term_count, exclude, "
    "created_at FROM subscriptions",
}


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as raw:
        return {name: raw.execute(sql).fetchall() for name, sql in KEPT.items()}


TRIGGER = """
CREATE TABLE audit (note TEXT);
-- A comment; with a semicolon.
CREATE TRIGGER papers_audit AFTER INSERT ON papers BEGIN
    INSERT INTO audit(note) VALUES ('added; one paper');
    INSERT INTO audit(note) VALUES (new.title);
END;
INSERT INTO meta(key, value) VALUES ('semi;colon', 'a;b');
"""


def test_migrations_are_numbered_files_in_order() -> None:
    scripts = migration_scripts()
    assert [number for number, _, _ in scripts] == list(range(1, len(scripts) + 1))
    assert all(name.startswith(f"{number:04d}_") for number, name, _ in scripts)
    # A number held for another branch's migration is a comment-only placeholder.
    assert all(
        split_statements(sql) for _, name, sql in scripts if not name.endswith("_reserved.sql")
    )


def test_a_trigger_body_stays_one_statement() -> None:
    statements = split_statements(TRIGGER)
    assert len(statements) == 3
    assert statements[1].startswith("-- A comment") or "CREATE TRIGGER" in statements[1]
    assert statements[1].rstrip().endswith("END;")
    assert "'semi;colon', 'a;b'" in statements[2]


def test_an_unterminated_statement_is_refused() -> None:
    with pytest.raises(ValueError, match="unterminated"):
        split_statements("CREATE TABLE t (x INTEGER)")
    assert split_statements("-- only a comment\n") == []


async def test_a_new_database_reaches_the_newest_version(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "p.db") as database:
        assert await schema_version(database) == len(migration_scripts())


async def test_a_later_migration_with_a_trigger_applies_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripts = migration_scripts()
    newest = len(scripts)
    extended = [*scripts, (newest + 1, f"{newest + 1:04d}_audit.sql", TRIGGER)]
    monkeypatch.setattr(connection_module, "migration_scripts", lambda: extended)
    path = tmp_path / "p.db"
    for _ in range(2):  # the second open finds the version and applies nothing
        connection = await Connection.open(path)
        await connection.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == newest + 1
        raw.execute(
            "INSERT INTO papers(id, title_key, title, abstract, first_day) "
            "VALUES (1, 'k', 'A Title', 'x', '2026-03-14')"
        )
        notes = [row[0] for row in raw.execute("SELECT note FROM audit ORDER BY rowid")]
    assert notes == ["added; one paper", "A Title"]


async def test_a_failing_migration_leaves_nothing_of_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripts = migration_scripts()
    newest = len(scripts)
    broken = "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n"
    monkeypatch.setattr(
        connection_module,
        "migration_scripts",
        lambda: [*scripts, (newest + 1, f"{newest + 1:04d}_broken.sql", broken)],
    )
    path = tmp_path / "p.db"
    with pytest.raises(DatabaseUnusable, match=r"could not be brought to schema .*no_such_table"):
        await Connection.open(path)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == newest
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in tables and "papers" in tables


async def test_posts_from_before_version_8_keep_their_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "p.db"
    scripts = migration_scripts()
    monkeypatch.setattr(connection_module, "migration_scripts", lambda: scripts[:7])
    old = await Connection.open(path)
    await old.close()
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO posts(guild_id, day, channel_id, papers_sent, messages_sent, status, "
            "created_at, finished_at) VALUES (1, '2026-03-14', 2, 87, 9, 'posted', 'x', 'y')"
        )
    monkeypatch.undo()
    async with await Database.open(path) as database:
        post = await database.posts.latest(1)
        assert post is not None and (post.papers_sent, post.status) == (87, "posted")
        assert await schema_version(database) == len(scripts)


async def test_a_version_8_archive_keeps_everything_and_gains_metadata(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    async with await Database.open(path) as database:
        await ingest_paths(await Catalog.load(database), [SEEDS], today=TODAY)
        await database.posts.set_channel(1, 2, 3, None)
        await database.subscriptions.add(1, 4, parse_keyword("concept bottleneck"), 25)
    with sqlite3.connect(path) as raw:
        downgrade(raw, 8)
    before = dump(path)
    async with await Database.open(path) as database:
        assert await schema_version(database) == len(migration_scripts())
        assert dump(path) == before
        catalog = await Catalog.load(database)
        assert (await catalog.search("concept bottleneck")).total > 1
        # The fixture day lists 20 seed papers with (invented) ids and authors.
        await ingest_paths(catalog, [FIXTURES / "hf-2026-03-16.json"])
        assert await paper_count(database) == 163
        with_ids = await database.connection.scalar(
            "SELECT count(*) FROM papers WHERE arxiv_id IS NOT NULL"
        )
        assert with_ids == 20
        talc = await catalog.find_paper("arXiv:2603.99001")
        assert talc is not None and talc.title.startswith("TALC: Time-Aligned Captions")
        assert talc.meta.authors[0] == "Mateo Hoang"  # invented for the fixture
        assert talc.id in (await catalog.search("mateo hoang")).ids
