"""Small test-side views of the database, so that no query exists only for tests."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence

from bot import text
from bot.models import IngestOutcome, NewDigest, NewPaper
from bot.storage import Database


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


def undo_paper_metadata(connection: sqlite3.Connection) -> None:
    """Take back what migration 11 added (to make an older database from a new one)."""
    connection.execute("DROP INDEX papers_by_arxiv_id")
    for column in METADATA_COLUMNS:
        connection.execute(f"ALTER TABLE papers DROP COLUMN {column}")
    connection.execute("DROP TABLE author_vocab")
    connection.execute("DROP TABLE author_fts")


METADATA_COLUMNS = (
    "arxiv_id",
    "authors",
    "upvotes",
    "comments",
    "github_url",
    "github_stars",
    "project_url",
    "ai_summary",
    "ai_keywords",
    "organization",
    "published_on",
    "meta_fetched_at",
)
