"""How a paper's links and Hub metadata are stored: the columns, and rows both ways."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import fields
from typing import Any

from bot.digest import Link, PaperMeta

# The columns a paper's links and Hub metadata are stored in, in this order.
META_FIELDS = (
    "links",
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
META_COLUMNS = ", ".join(META_FIELDS)


def meta_row(links: Iterable[Link], meta: PaperMeta, fetched_at: str | None) -> tuple[Any, ...]:
    """The values of `META_FIELDS`."""
    return (
        json.dumps([[link.url, link.kind] for link in links]),
        meta.arxiv_id,
        json.dumps(meta.authors, ensure_ascii=False),
        meta.upvotes,
        meta.comments,
        meta.github_url,
        meta.github_stars,
        meta.project_url,
        meta.ai_summary,
        json.dumps(meta.ai_keywords, ensure_ascii=False),
        meta.organization,
        meta.published_on.isoformat() if meta.published_on else None,
        fetched_at,
    )


def meta_of(values: Sequence[Any]) -> tuple[tuple[Link, ...], PaperMeta, str | None]:
    """(links, metadata, when it was fetched) from the values of `META_FIELDS`."""
    links, arxiv_id, authors, upvotes, comments, github, stars, project, *rest = values
    summary, keywords, organization, published_on, fetched_at = rest
    meta = PaperMeta(
        arxiv_id=arxiv_id,
        authors=tuple(json.loads(authors)),
        upvotes=upvotes,
        comments=comments,
        github_url=github,
        github_stars=stars,
        project_url=project,
        ai_summary=summary,
        ai_keywords=tuple(json.loads(keywords)),
        organization=organization,
        published_on=dt.date.fromisoformat(published_on) if published_on else None,
    )
    return links_of(links), meta, fetched_at


def merge(old: PaperMeta, new: PaperMeta) -> PaperMeta:
    """`new`'s values where it has one, else `old`'s: a later fetch that leaves a field
    out does not erase it."""
    values = {}
    for item in fields(PaperMeta):
        value = getattr(new, item.name)
        values[item.name] = getattr(old, item.name) if value is None or value == () else value
    return PaperMeta(**values)


def time_text(moment: dt.datetime | None) -> str | None:
    """A fetch time as stored: UTC ISO text, so that text order is time order."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds") if moment else None


def links_of(raw: str) -> tuple[Link, ...]:
    return tuple(Link(url, kind) for url, kind in json.loads(raw))
