"""Acronym definitions (bot.acronyms) and focus terms (bot.text.focus_terms) for the
papers stored without them: a day ingested by the bot's loop (`Catalog.tidy` adds
them after posting, so that the day's own commit stays quick), and papers stored before
migrations 13 and 14 (a start adds them: about 3 minutes a million papers). A bulk load
stores them with the papers. A batch at a time, each in a transaction of its own.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Sequence

from bot import acronyms, text
from bot.storage import Database

log = logging.getLogger(__name__)

BATCH = 2_000  # papers read at a time


async def catch_up(db: Database, most: int | None = None) -> bool:
    """Count the acronyms and index the focus of papers not yet counted or indexed: all
    of them, or the first `most`. True if there were any.

    A database another process is writing (busy) or that is full is left as it is, and
    reported: the next tidy or start goes on from where this one stopped.
    """
    try:
        return await _catch_up(db, most)
    except sqlite3.OperationalError as error:
        log.warning("could not describe the newest papers yet (focus, acronyms): %s", error)
        return True


async def _catch_up(db: Database, most: int | None) -> bool:
    newest = await db.archive.max_paper_id()
    counted = await db.acronyms.upto()
    indexed = await db.index.focus_upto()
    if most is not None:
        newest = min(newest, min(counted or 0, indexed or 0) + most)
    behind = (counted is not None and counted < newest) or (
        indexed is not None and indexed < newest
    )
    if counted is not None and counted < newest:
        log.info("counting the acronyms defined in papers %d to %d", counted + 1, newest)
        await _count_acronyms(db, counted, newest)
    if indexed is not None and indexed < newest:
        log.info("indexing what papers %d to %d are about", indexed + 1, newest)
        await _index_focus(db, indexed, newest)
    return behind


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
