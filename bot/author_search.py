"""The author step of `/search`: which authors a query names, and their papers.

A run of 2 to 5 adjacent query words that is the whole name of an author in the
archive (bot.names) makes the query an author query: that author's papers, narrowed by
the query's other words (`Catalog.ranked`). One lookup of the runs in the author
index's vocabulary, then one query for the papers; a one-word query costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import matching, names, text
from bot.matching import Keyword, PaperText
from bot.models import Paper
from bot.storage import Database
from bot.storage.search_index import SearchIndex

# An author's newest papers that the query's other words narrow: each is looked up in
# the index for them (about 20 µs a paper and term at 100k papers).
AUTHOR_CANDIDATES = 200
AUTHOR_PREVIEW = 10_000  # an author's papers counted for a subscription's preview


@dataclass(frozen=True)
class AuthorQuery:
    """A query that names authors: their papers (newest first) and the other words."""

    names: tuple[str, ...]  # index tokens, e.g. `yann_lecun`
    paper_ids: list[int]
    rest: str


async def author_query(index: SearchIndex, query: str) -> AuthorQuery | None:
    """The authors `query` names and their papers; None when it names none.

    Several names mean papers by all of them, or, when they wrote none together, by any.
    """
    words = text.words(query)
    runs = names.query_runs(["".join(names.name_words(word)) for word in words])
    known = await index.known_authors(list(runs)) if runs else []
    if not known:
        return None
    chosen, used = names.pick_names(runs, known)
    quoted = ['"' + token + '"' for token in chosen]  # tokens hold only letters, digits, _
    paper_ids = await index.author_matches(" AND ".join(quoted), AUTHOR_CANDIDATES)
    if not paper_ids and len(chosen) > 1:
        paper_ids = await index.author_matches(" OR ".join(quoted), AUTHOR_CANDIDATES)
    rest = " ".join(word for position, word in enumerate(words) if position not in used)
    return AuthorQuery(tuple(chosen), paper_ids, rest)


async def author_preview(
    db: Database, author: Keyword, examples: int = 2
) -> tuple[int, list[Paper]]:
    """How many archived papers an author subscription matches, and the newest few."""
    ids = await db.index.author_matches(f'"{author.terms[0]}"', AUTHOR_PREVIEW)
    if author.exclude:  # excluded words veto, as in alerts
        vetoed = " OR ".join('"' + term.replace('"', '""') + '"' for term in author.exclude)
        vetoed_ids = set(await db.index.matching_among(vetoed, ids))
        ids = [i for i in ids if i not in vetoed_ids]
    papers = await db.archive.papers_by_ids(ids[: examples * 3])
    confirmed = [paper for paper in papers if matching.matches(author, PaperText.of(paper))]
    return len(ids), confirmed[:examples]


async def author_names(db: Database, typed: str, limit: int = 25) -> list[str]:
    """Authors in the archive whose name begins as typed, as their papers spell them."""
    prefix = "_".join(names.name_words(typed))
    if len(prefix) < 2:
        return []
    shown: list[str] = []
    for token in await db.index.authors_starting(prefix, limit):
        [paper_id, *_] = await db.index.author_matches(f'"{token}"', 1) or [0]
        papers = await db.archive.papers_by_ids([paper_id])
        spelled = [n for p in papers for n in p.meta.authors if names.author_token(n) == token]
        shown.append(spelled[0] if spelled else token.replace("_", " ").title())
    return shown
