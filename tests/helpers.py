"""Small test-side views of the database, so that no query exists only for tests."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence

from bot import text
from bot.models import IngestOutcome, NewDigest, NewPaper
from bot.storage import Database
from bot.storage.paper_rows import META_FIELDS


async def paper_count(db: Database) -> int:
    return int(await db.connection.scalar("SELECT count(*) FROM papers"))


async def schema_version(db: Database) -> int:
    return int(await db.connection.scalar("PRAGMA user_version"))


def index_text(value: str) -> str:
    """The form of `value` in the full-text index: its terms joined by spaces."""
    return " ".join(text.terms(value))


async def add_digest(
    db: Database, source: str, day: dt.date, content_hash: str, papers: Sequence[NewPaper]
) -> IngestOutcome:
    """Store one digest file in one transaction."""
    return (await db.archive.add_digests([NewDigest(source, day, content_hash, papers)]))[0]


def downgrade(connection: sqlite3.Connection, version: int) -> None:
    """Take back the migrations after `version` (to make an older database from a new
    one, with everything the newer code stored in it)."""
    undo = {
        14: _undo_focus_index,
        13: _undo_acronyms,
        12: _undo_settings,
        11: undo_paper_metadata,
        10: _undo_unspaced_search,
        9: _undo_post_progress,
        8: _undo_drop_unread_post_columns,
        7: lambda c: c.execute("DROP TABLE term_counts"),
        6: lambda c: c.execute("DROP TABLE digest_files"),
        5: lambda c: None,  # FTS5 settings only: the caller sets the ones it tests
    }
    current = connection.execute("PRAGMA user_version").fetchone()[0]
    for number in range(current, version, -1):
        undo[number](connection)
    connection.execute(f"PRAGMA user_version = {version}")


def _undo_focus_index(connection: sqlite3.Connection) -> None:
    connection.execute("DROP TABLE focus_vocab")
    connection.execute("DROP TABLE focus_fts")
    connection.execute("DELETE FROM meta WHERE key = 'focus_upto'")


def _undo_acronyms(connection: sqlite3.Connection) -> None:
    connection.execute("DROP TABLE acronyms")
    connection.execute("DELETE FROM meta WHERE key = 'acronyms_upto'")


def _undo_settings(connection: sqlite3.Connection) -> None:
    for column in ("post_time", "timezone", "top_papers", "ping_role_id", "paused"):
        connection.execute(f"ALTER TABLE guild_channels DROP COLUMN {column}")
    for column in ("due_at", "paper_ids", "closing_papers"):
        connection.execute(f"ALTER TABLE posts DROP COLUMN {column}")
    connection.execute("ALTER TABLE subscriptions DROP COLUMN kind")
    connection.execute("DROP TABLE member_settings")


def _undo_drop_unread_post_columns(connection: sqlite3.Connection) -> None:
    for column in ("messages_sent INTEGER NOT NULL DEFAULT 0", "finished_at TEXT"):
        connection.execute(f"ALTER TABLE posts ADD COLUMN {column}")


def _undo_post_progress(connection: sqlite3.Connection) -> None:
    for column in ("sending", "header_papers"):
        connection.execute(f"ALTER TABLE posts DROP COLUMN {column}")
    connection.execute("ALTER TABLE post_messages DROP COLUMN channel_id")
    connection.execute("DROP TABLE skipped_days")


def _undo_unspaced_search(connection: sqlite3.Connection) -> None:
    connection.execute("DROP TABLE unspaced_fts")


def undo_paper_metadata(connection: sqlite3.Connection) -> None:
    """Take back what migration 11 added (to make an older database from a new one)."""
    connection.execute("DROP INDEX papers_by_arxiv_id")
    for column in METADATA_COLUMNS:
        connection.execute(f"ALTER TABLE papers DROP COLUMN {column}")
    connection.execute("DROP TABLE author_vocab")
    connection.execute("DROP TABLE author_fts")


METADATA_COLUMNS = META_FIELDS[1:]  # all but links, which migration 1 made
