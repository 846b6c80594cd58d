"""Acronym definitions (bot.acronyms) and focus terms (bot.text.focus_terms) for the
papers stored without them: a day ingested by the bot's loop (`Catalog.tidy` adds
them after posting, so that the day's own commit stays quick), and papers stored before
migrations 13 and 14 (a start adds them: about 3 minutes a million papers). A bulk load
stores them with the papers. A batch at a time: read and described once, then
counted and indexed, each in a transaction of its own.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Sequence

from bot import acronyms, text
from bot.models import About
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
    start = min((mark for mark in (counted, indexed) if mark is not None), default=newest)
    if most is not None:
        newest = min(newest, start + most)
    if start >= newest:
        return False
    log.info("describing papers %d to %d (focus terms, acronyms)", start + 1, newest)
    # One read and one description of each batch serve both marks, which usually agree.
    while start < newest and (batch := await db.archive.texts_after(start, newest, BATCH)):
        described = await asyncio.to_thread(_describe, batch)
        upto = batch[-1][0]
        if counted is not None and counted < upto:
            found = [about.acronyms for paper_id, about in described if paper_id > counted]
            counted = upto if await db.acronyms.count(found, after=counted, upto=upto) else None
        if indexed is not None and indexed < upto:
            rows = [
                (paper_id, about.focus_title, about.focus_repeated)
                for paper_id, about in described
                if paper_id > indexed
            ]
            indexed = upto if await db.index.catch_up_focus(rows, after=indexed) else None
        start = upto  # a mark set to None: another process describes those papers
    return True


def describe_paper(title_terms: list[str], abstract_terms: list[str], abstract: str) -> About:
    """What a paper is about (see `About`), from its stemmed terms and its abstract."""
    focus_title, focus_repeated = text.focus_terms(title_terms, abstract_terms)
    return About(focus_title, focus_repeated, frozenset(acronyms.definitions(abstract)))


def _describe(batch: Sequence[tuple[int, str, str]]) -> list[tuple[int, About]]:
    stems = text.StemCache()  # a cache of its own, freed after: see bot.vocabulary
    return [
        (paper_id, describe_paper(text.terms(title, stems), text.terms(abstract, stems), abstract))
        for paper_id, title, abstract in batch
    ]
