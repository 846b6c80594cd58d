"""The acronyms table: how many papers define each acronym (see bot.acronyms).

Counted up to the paper id in the meta key `acronyms_upto`: by a bulk load in the
transaction that stores the papers, else by bot.catch_up (the tidy after a day is
posted, and a start for papers stored before the table existed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.storage.connection import Connection

ACRONYMS_UPTO = "acronyms_upto"  # meta key: the newest paper whose definitions are counted

Expansions = dict[str, list[tuple[str, int]]]  # acronym -> [(expansion, papers)], most first


class AcronymCounts:
    """acronyms: (acronym, expansion) -> papers defining it."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def add(
        self, definitions: Iterable[Iterable[tuple[str, str]]], *, after: int, upto: int
    ) -> bool:
        """Within the caller's transaction: count each paper's definitions (papers with
        ids in (`after`, `upto`], one collection each) if the counts reach exactly
        `after`, and move `acronyms_upto` to `upto`. False (nothing counted) when they
        do not: the papers between are counted first (`count`, at the next start)."""
        if await self._db.get_meta(ACRONYMS_UPTO) != str(after):
            return False
        tally: dict[tuple[str, str], int] = {}
        for paper in definitions:
            for pair in paper:
                tally[pair] = tally.get(pair, 0) + 1
        await self._db.execute_many(
            "INSERT INTO acronyms(acronym, expansion, papers) VALUES (?, ?, ?) "
            "ON CONFLICT(acronym, expansion) DO UPDATE SET papers = papers + excluded.papers",
            [(acronym, expansion, papers) for (acronym, expansion), papers in tally.items()],
        )
        await self._db.put_meta(ACRONYMS_UPTO, str(upto))
        return True

    async def count(
        self, definitions: Iterable[Iterable[tuple[str, str]]], *, after: int, upto: int
    ) -> bool:
        """`add` in a transaction of its own (catching up at a start); False when another
        writer counted those papers already."""
        async with self._db.transaction():
            return await self.add(definitions, after=after, upto=upto)

    async def upto(self) -> int | None:
        """The newest paper whose definitions are counted (None before migration 13)."""
        upto = await self._db.get_meta(ACRONYMS_UPTO)
        return None if upto is None else int(upto)

    async def expansions(self, acronyms: Sequence[str]) -> Expansions:
        """acronym -> [(expansion, papers defining it)], most papers first, for those of
        the given index terms that some abstract defines."""
        if not acronyms:
            return {}
        marks = ",".join("?" * len(acronyms))
        return _grouped(
            await self._db.rows(
                f"SELECT acronym, expansion, papers FROM acronyms WHERE acronym IN ({marks}) "
                "ORDER BY acronym, papers DESC, expansion",
                list(acronyms),
            )
        )

    async def named_by(self, expansions: Sequence[str]) -> list[tuple[str, str, int]]:
        """(acronym, expansion, papers defining it) for those of `expansions` (lowercase
        words separated by single spaces) that abstracts define, most papers first."""
        if not expansions:
            return []
        marks = ",".join("?" * len(expansions))
        rows = await self._db.rows(
            f"SELECT acronym, expansion, papers FROM acronyms WHERE expansion IN ({marks}) "
            "ORDER BY papers DESC, acronym, expansion",
            list(expansions),
        )
        return [(row[0], row[1], row[2]) for row in rows]

    async def defined(self, min_papers: int) -> Expansions:
        """Like `expansions`, for every acronym that `min_papers` papers define with one
        same expansion."""
        return _grouped(
            await self._db.rows(
                "SELECT acronym, expansion, papers FROM acronyms WHERE acronym IN "
                "(SELECT acronym FROM acronyms WHERE papers >= ?) "
                "ORDER BY acronym, papers DESC, expansion",
                (min_papers,),
            )
        )


def _grouped(rows: Iterable[Sequence[object]]) -> Expansions:
    found: Expansions = {}
    for acronym, expansion, papers in rows:
        assert isinstance(acronym, str) and isinstance(expansion, str)
        assert isinstance(papers, int)
        found.setdefault(acronym, []).append((expansion, papers))
    return found
