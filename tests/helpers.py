"""Small test-side views of the database, so that no query exists only for tests."""

from __future__ import annotations

import datetime as dt
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
