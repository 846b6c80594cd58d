"""Paper cards: the compact card of a day's thread and the full card of `/paper`.

A paper's title links to the paper itself: its arXiv abstract page when the arXiv id
is known. A paper known only from a text digest (no id, like the seeds) has no page
of its own that we know of, so its title is not a link; its full card offers a
"Search arXiv" button instead. Other links (PDF, Hugging Face, code, project page)
appear once each, never repeating the title's. Every card fits Discord's limits by
construction, and all digest text in it is `markup.shown` (inert, TeX tidied).
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

import discord

from bot import arxiv
from bot.dates import short_day
from bot.digest_json import link_key
from bot.markup import (
    DESCRIPTION_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    TITLE_LIMIT,
    URL_LIMIT,
    clip,
    shorten,
    shown,
)
from bot.models import Paper

COLOUR = discord.Colour(0xF2A03D)
#: A thread card's characters at most, so that ten always fit one message (6,000).
POST_EMBED_CHARS = 600
#: Around this many characters of summary or abstract on a thread card.
CARD_EXCERPT = 300
#: A card's excerpt keeps at least this much room: links that would leave less go.
MIN_EXCERPT = 120
ARXIV_SEARCH = "https://arxiv.org/search/?searchtype=title&query="
AUTHORS_ON_CARDS = 3
AUTHORS_IN_FULL = 10


def paper_url(paper: Paper) -> str | None:
    """The paper's own page, where its title links: the arXiv abstract when the id is
    known; None otherwise (never a search)."""
    arxiv_id = paper.meta.arxiv_id
    return arxiv.abstract_url(arxiv_id) if arxiv_id else None


def arxiv_search_url(title: str) -> str:
    """An arXiv title search for a paper without an id: as many of the title's words as
    keep the URL within Discord's 512 characters (never a cut escape)."""
    words = title.split()
    url = ARXIV_SEARCH
    for count in range(len(words), 0, -1):
        url = ARXIV_SEARCH + urllib.parse.quote_plus(" ".join(words[:count]))
        if len(url) <= URL_LIMIT:
            return url
    return ARXIV_SEARCH


@dataclass(frozen=True)
class LinkButton:
    label: str
    url: str


def page_links(paper: Paper) -> list[tuple[str, str]]:
    """(label, URL) of a paper's pages besides the one its title links to, each once
    (two spellings of one repository are one): PDF and Hugging Face from its id, then
    code and project page. URLs too long for Discord or that would break a markdown
    link are left out."""
    pairs: list[tuple[str, str]] = []
    if (arxiv_id := paper.meta.arxiv_id) is not None:
        pairs += [
            ("PDF", arxiv.pdf_url(arxiv_id)),
            ("Hugging Face", arxiv.hugging_face_url(arxiv_id)),
        ]
    pairs += [("Code", paper.code_url or ""), ("Project page", paper.project_url or "")]
    unique: dict[str, tuple[str, str]] = {}
    title_url = paper_url(paper)
    for label, url in pairs:
        if url and url != title_url and len(url) <= URL_LIMIT and ")" not in url:
            unique.setdefault(link_key(url), (label, url))
    return list(unique.values())


def paper_links(paper: Paper) -> list[LinkButton]:
    """Link buttons of a full card: `page_links`, and an arXiv title search when the
    paper has no id (its title then links nowhere)."""
    buttons = [LinkButton(label, url) for label, url in page_links(paper)]
    if paper.meta.arxiv_id is None:
        buttons.append(LinkButton("Search arXiv", arxiv_search_url(paper.title)))
    return buttons


def days_text(days: Sequence[dt.date]) -> str:
    return ", ".join(short_day(day) for day in days) or "unknown day"


def authors_text(authors: Sequence[str], shown_count: int = AUTHORS_ON_CARDS) -> str:
    """`A, B, C et al.`: the first `shown_count` authors, displayed."""
    names = ", ".join(shown(name) for name in authors[:shown_count])
    return names + (" et al." if len(authors) > shown_count else "")


def byline(paper: Paper, limit: int = 200) -> str:
    """`A, B, C et al. · ▲ 41`: the first authors and the upvotes, as far as known."""
    parts = [authors_text(paper.meta.authors)] if paper.meta.authors else []
    if paper.meta.upvotes is not None:
        parts.append(f"▲ {paper.meta.upvotes:,}")
    return clip(" · ".join(parts), limit)


def card_title(paper: Paper, rank: int | None = None) -> str:
    """A paper's title as a card shows it, `rank. ` first when given, cut at a word."""
    prefix = f"{rank}. " if rank is not None else ""
    return prefix + shorten(paper.title, TITLE_LIMIT - len(prefix), sentences=False)


def post_embed(paper: Paper, day: dt.date, rank: int) -> discord.Embed:
    """A paper in a day's thread, a compact card: the title (linking to the paper),
    about 300 characters of its one-sentence summary (else the abstract's first
    sentences), one line of authors, upvotes and links, and "↻ also on …" for a paper
    that trended before.

    At most POST_EMBED_CHARS in all, so ten always fit one message: links that would
    leave the excerpt under MIN_EXCERPT are dropped, and the excerpt gets the rest.
    """
    title = card_title(paper, rank)
    earlier = [seen for seen in paper.days if seen < day]
    marker = f"\n↻ also on {short_day(earlier[-1])}" if earlier else ""
    if len(earlier) > 1:
        extra = len(earlier) - 1
        marker += f" and {extra} earlier {'day' if extra == 1 else 'days'}"
    line = byline(paper, 150)
    for label, url in page_links(paper):
        more = f"{line} · [{label}]({url})" if line else f"[{label}]({url})"
        if len(title) + len(more) + 1 + len(marker) + MIN_EXCERPT > POST_EMBED_CHARS:
            break
        line = more
    meta = f"\n{line}" if line else ""
    room = POST_EMBED_CHARS - len(title) - len(meta) - len(marker)
    excerpt = shorten(paper.meta.ai_summary or paper.abstract, min(room, CARD_EXCERPT))
    description = (excerpt + meta + marker).lstrip("\n") or None  # no text: no blank line
    return discord.Embed(title=title, description=description, colour=COLOUR, url=paper_url(paper))


def paper_embed(paper: Paper, footer: str | None = None) -> discord.Embed:
    """One paper in full (`/paper`, `/random`, a result opened from a list): the title
    linking to the paper, the whole abstract (cut at a sentence only past 4,096
    characters), authors, upvotes and the days it appeared. Its other links are
    buttons (`paper_links`)."""
    embed = discord.Embed(
        title=card_title(paper),
        description=shorten(paper.abstract, DESCRIPTION_LIMIT) or None,
        colour=COLOUR,
        url=paper_url(paper),
    )
    if authors := paper.meta.authors:
        names = authors_text(authors, AUTHORS_IN_FULL)
        if len(authors) > AUTHORS_IN_FULL:
            names = names.removesuffix(" et al.") + f" and {len(authors) - AUTHORS_IN_FULL} more"
        embed.add_field(name="Authors", value=clip(names, FIELD_VALUE_LIMIT), inline=False)
    if paper.meta.upvotes is not None:
        embed.add_field(name="Upvotes", value=f"▲ {paper.meta.upvotes:,}")
    embed.add_field(name="Appeared", value=clip(days_text(paper.days), FIELD_VALUE_LIMIT))
    if footer:
        embed.set_footer(text=clip(footer, FOOTER_LIMIT))
    return embed
