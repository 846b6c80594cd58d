"""The search vocabulary: every index term with the number of papers holding it.

It corrects typos (`Vocabulary.correct`) and tells common terms from rare ones. A start
reads the counts saved in the database and counts only the papers added since
(`load_term_counts`); new papers are tallied apart and settled after each pass.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import chain

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot import text
from bot.models import TermCounts
from bot.storage import Database

log = logging.getLogger(__name__)

MAX_UNSETTLED_TERMS = 200_000  # the vocabulary settles by itself past this (see Vocabulary)
# A start counts the terms of papers newer than the saved counts when they are at most
# this share of the archive, else it counts the whole index again. Measured at 1M papers:
# about 240 us a newer paper (stemming, then saving), against 8 us a paper for the whole
# index plus 0.9 s to save it; even at 1/100, catching up costs a quarter of a recount.
CATCH_UP_SHARE = 1 / 100
MIN_CATCH_UP = 1_000
CATCH_UP_BATCH = 2_000  # papers read at a time while catching up


class Vocabulary:
    """The index's terms with their document counts, for typo correction.

    Like the full-text index, it takes new papers cheaply and merges later: the terms of
    papers added since the last `settle()` are tallied apart, in a small tally. At 1M
    papers the main tally holds 850k terms spread over ~100 MB, so each update misses
    the TLB (about 0.5 µs), and a new day brings 16k (term, paper) pairs. `Catalog.tidy`
    settles after each pass; correcting a typo settles first, if that has not happened.
    """

    def __init__(self, counts: Mapping[str, int] | None = None) -> None:
        self._settled: Counter[str] = Counter()
        self._recent: Counter[str] = Counter()
        # Candidates for correction, by (length, first two letters) and (length, last two):
        # one edit in a word of four or more letters leaves one of its ends intact.
        self._by_ends: dict[tuple[int, str], list[str]] = {}
        self.add_counts(counts or {})

    def __contains__(self, term: object) -> bool:
        return term in self._recent or term in self._settled

    def __len__(self) -> int:
        settled = self._settled
        return len(settled) + sum(term not in settled for term in self._recent)

    @property
    def unsettled(self) -> int:
        """Distinct terms counted since the last `settle()`."""
        return len(self._recent)

    def count(self, term: str) -> int:
        """The number of papers that hold `term`."""
        return self._settled.get(term, 0) + self._recent.get(term, 0)

    def counts(self) -> dict[str, int]:
        """Every term with its document count (a copy)."""
        return dict(self._settled + self._recent)

    def add_counts(self, counts: Mapping[str, int]) -> None:
        """Add document counts; terms seen for the first time become correction targets."""
        self.settle()
        new_terms = [term for term in counts if term not in self._settled]
        self._settled.update(counts)
        _index_ends(self._by_ends, new_terms)

    def add_documents(self, documents: Iterable[Iterable[str]]) -> None:
        """Count each document's distinct terms (one collection each)."""
        self._recent.update(chain.from_iterable(documents))  # Counter.update counts in C
        if len(self._recent) > MAX_UNSETTLED_TERMS:  # nothing settled it (no pass ran)
            self.settle()

    def settle(self) -> None:
        """Fold the tally of recent papers into the main one."""
        recent, settled = self._recent, self._settled
        if not recent:
            return
        new_terms = [term for term in recent if term not in settled]
        settled.update(recent)
        _index_ends(self._by_ends, new_terms)
        recent.clear()

    def correct(self, term: str) -> str | None:
        """`term` if indexed, else the closest indexed term of similar spelling, else None.

        Of equally close terms, the one in most papers wins (then the first alphabetically).
        """
        if term in self:
            return term
        if len(term) < 4 or not term.isalpha():
            return None
        self.settle()  # recent terms become candidates: at most once per new day
        # One edit (a transposition counts as one) per short word, two for long words.
        max_edits = 1 if len(term) < 8 else 2
        candidates = {
            candidate
            for length in range(len(term) - max_edits, len(term) + max_edits + 1)
            for key in _end_keys(term, length)
            for candidate in self._by_ends.get(key, ())
        }
        matches = process.extract(
            term, candidates, scorer=OSA.distance, score_cutoff=max_edits, limit=None
        )
        if not matches:
            return None
        counts = self._settled
        best = min(matches, key=lambda match: (match[1], -counts[match[0]], match[0]))
        return best[0]


def count_terms(
    texts: Iterable[tuple[str, str]], stems: text.StemCache | None = None
) -> Counter[str]:
    """Papers per index term over (title, abstract) pairs: a paper counts once for each
    of its distinct terms, as the index's own counts (`Database.vocabulary`) do.

    The one difference: FTS5 cuts a term over 32 KB short, which no search can ask for.
    """
    counts: Counter[str] = Counter()
    for title, abstract in texts:
        counts.update({*text.terms(title, stems), *text.terms(abstract, stems)})
    return counts


def _worth_catching_up(saved_upto: int, newest: int) -> bool:
    behind = newest - saved_upto
    return 0 <= behind <= max(newest * CATCH_UP_SHARE, MIN_CATCH_UP)


def _index_ends(by_ends: dict[tuple[int, str], list[str]], terms: Iterable[str]) -> None:
    for term in terms:
        for key in _end_keys(term, len(term)):
            by_ends.setdefault(key, []).append(term)


def _end_keys(term: str, length: int) -> tuple[tuple[int, str], tuple[int, str]]:
    return (length, "^" + term[:2]), (length, term[-2:] + "$")


async def load_term_counts(db: Database) -> dict[str, int]:
    """The saved term counts plus those of newer papers; or, when there are many
    newer papers, the counts of the whole index (7.4 s at 1M papers), saved."""
    saved = await db.index.saved_term_counts()
    newest = await db.archive.max_paper_id()
    if saved is not None and _worth_catching_up(saved.upto, newest):
        added = await _count_terms_between(db, saved.upto, newest)
        if added.upto == saved.upto:
            return saved.counts
        await _save_term_counts(db, added, since=saved.upto)
        counts = saved.counts
        for term, papers in added.counts.items():
            counts[term] = counts.get(term, 0) + papers
        return counts
    counts = await db.index.count_index_terms()
    # Papers stored while the index was read may or may not be counted: save only
    # counts that end exactly at `newest`.
    if await db.archive.max_paper_id() == newest:
        await _save_term_counts(db, TermCounts(counts, newest))
    return counts


async def _count_terms_between(db: Database, after: int, upto: int) -> TermCounts:
    """The term counts of the papers with ids in (`after`, `upto`], read a batch at
    a time; stopping at `upto` bounds the work while another process stores more."""
    counts: Counter[str] = Counter()
    done = after
    while batch := await db.archive.texts_after(done, upto, CATCH_UP_BATCH):
        texts = [(title, abstract) for _, title, abstract in batch]
        # A stem cache of its own, freed after: these words need not stay in memory.
        counts.update(await asyncio.to_thread(count_terms, texts, text.StemCache()))
        done = batch[-1][0]
    return TermCounts(counts, done)


async def _save_term_counts(db: Database, counts: TermCounts, since: int | None = None) -> None:
    try:
        await db.index.save_term_counts(counts, since=since)
    except sqlite3.OperationalError as error:  # busy, full: the next start counts again
        log.warning("could not save the term counts: %s", error)
