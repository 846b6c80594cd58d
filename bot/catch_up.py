"""What a start does for papers stored before a table existed: their acronym
definitions (migration 13, bot.acronyms) and their focus terms (migration 14,
bot.text.focus_terms). New papers get both in the transaction that stores them; this
runs once after an upgrade (about 3 minutes a million papers), a batch at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot import acronyms, text
from bot.storage import Database

log = logging.getLogger(__name__)

BATCH = 2_000  # papers read at a time


async def catch_up(db: Database) -> None:
    """Count the acronyms and index the focus of papers not yet counted or indexed."""
    newest = await db.archive.max_paper_id()
    counted = await db.acronyms.upto()
    if counted is not None and counted < newest:
        log.info("counting the acronyms defined in papers %d to %d", counted + 1, newest)
        await _count_acronyms(db, counted, newest)
    indexed = await db.index.focus_upto()
    if indexed is not None and indexed < newest:
        log.info("indexing what papers %d to %d are about", indexed + 1, newest)
        await _index_focus(db, indexed, newest)


async def _count_acronyms(db: Database, upto: int, newest: int) -> None:
    while upto < newest and (batch := await db.archive.texts_after(upto, newest, BATCH)):
        found = await asyncio.to_thread(_definitions, [abstract for _, _, abstract in batch])
        if not await db.acronyms.count(found, after=upto, upto=batch[-1][0]):
            return  # another process counts them
        upto = batch[-1][0]


async def _index_focus(db: Database, upto: int, newest: int) -> None:
    while upto < newest and (batch := await db.archive.texts_after(upto, newest, BATCH)):
        rows = await asyncio.to_thread(_focus_rows, batch)
        if not await db.index.catch_up_focus(rows, after=upto):
            return  # another process indexes them
        upto = batch[-1][0]


def _definitions(abstracts: Sequence[str]) -> list[set[tuple[str, str]]]:
    return [acronyms.definitions(abstract) for abstract in abstracts]


def _focus_rows(batch: Sequence[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    stems = text.StemCache()  # a cache of its own, freed after: see bot.vocabulary
    rows = []
    for paper_id, title, abstract in batch:
        focus = text.focus_terms(text.terms(title, stems), text.terms(abstract, stems))
        rows.append((paper_id, *focus))
    return rows
