"""Lists of papers a member browses: `/search` results and `/digest` days, page by
page, with the menu that opens one of a page's papers, and the lines around them
(what was searched, a random pick, who shared a result).

Titles link to the papers (bot.cards.paper_url). Every page, option and line fits
Discord's limits by construction; digest text in them is inert and TeX-tidied.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

import discord

from bot import tex, text
from bot.cards import AUTHORS_ON_CARDS, COLOUR, days_text, paper_url
from bot.dates import format_day
from bot.markup import (
    DESCRIPTION_LIMIT,
    ELLIPSIS,
    OPTION_LIMIT,
    SELECT_OPTIONS,
    TITLE_LIMIT,
    clip,
    markdown_link,
    safe,
    safe_clip,
    shorten,
)
from bot.models import Paper
from bot.wording import plural

MAX_NOTED_WORDS = 10  # left-out query words named above search results
NOTE_LIMIT = 600
EXCERPT_WIDTH = 240
LIST_TITLE_CHARS = 200  # a title in a list, before it is cut at a word
SEARCH_PAGE = 5
DIGEST_PAGE = 10
_SPACES = re.compile(r"\s+")


# -- /search ---------------------------------------------------------------------------


def search_title(total: int, searched: str) -> str:
    """`🔎 12 results for “concept bottleneck”`."""
    return clip(f"🔎 {plural(total, 'result')} for “{safe_clip(searched, 150)}”", TITLE_LIMIT)


def query_note(searched: str | None, unknown: Sequence[str]) -> str | None:
    """The lines above search results: the corrected query when typos were corrected
    (`searched`), and the words no paper holds."""
    lines = []
    if searched:
        lines.append(f"Showing results for: *{safe_clip(searched, 150)}*")
    if unknown:
        shown_words = ", ".join(f"*{safe_clip(word, 40)}*" for word in unknown[:MAX_NOTED_WORDS])
        more = len(unknown) - MAX_NOTED_WORDS
        lines.append(
            f"Left out (in no paper): {shown_words}" + (f" and {more} more" if more > 0 else "")
        )
    return clip("\n".join(lines), NOTE_LIMIT) if lines else None


def excerpt(abstract: str, terms: Iterable[str] = (), width: int = EXCERPT_WIDTH) -> str:
    """A window of about `width` characters of `abstract` around the first query term,
    beginning and ending at word boundaries, query words in bold, all displayed."""
    body = _SPACES.sub(" ", tex.tidy(abstract)).strip()
    wanted = set(terms)
    spans = [(start, end) for start, end, term in text.word_spans(body) if term in wanted]
    start = max(spans[0][0] - width // 4, 0) if spans else 0
    if start:  # begin at a word boundary
        space = body.find(" ", start)
        start = space + 1 if 0 <= space < spans[0][0] else start
    end = min(start + width, len(body))
    if end < len(body):  # end at one too
        space = body.rfind(" ", start, end + 1)
        end = space if space > start else end
    pieces: list[str] = [ELLIPSIS if start else ""]
    cursor = start
    for span_start, span_end in spans:
        if span_start < cursor or span_end > end:
            continue
        pieces += [safe(body[cursor:span_start]), "**", safe(body[span_start:span_end]), "**"]
        cursor = span_end
    tail = body[cursor:end].rstrip(",;: ")
    pieces.append(safe(tail))
    if end < len(body) and not tail.endswith((".", "!", "?")):
        pieces.append(ELLIPSIS)
    return "".join(pieces)


def search_page(
    title: str,
    papers: Sequence[Paper],
    *,
    first_rank: int,
    page: int,
    pages: int,
    terms: Sequence[str] = (),
    note: str | None = None,
) -> discord.Embed:
    """One page of search results: for each, its title linking to the paper, the days
    it appeared and its upvotes, and an excerpt with the query words in bold."""
    head = f"{note}\n\n" if note else ""
    budget = (DESCRIPTION_LIMIT - len(head)) // max(len(papers), 1) - 2
    entries = []
    for rank, paper in enumerate(papers, start=first_rank):
        line = _title_line(paper, rank, budget // 2)
        details = " · ".join([f"*{days_text(paper.days)}*", *_upvotes(paper)])
        entry = f"{line} · {details}\n{excerpt(paper.abstract, terms)}"
        entries.append(_clip_markup(entry, budget))
    embed = discord.Embed(
        title=clip(title, TITLE_LIMIT),
        description=clip(head + "\n\n".join(entries), DESCRIPTION_LIMIT),
        colour=COLOUR,
    )
    embed.set_footer(text=f"page {page} of {pages}")
    return embed


# -- /digest ---------------------------------------------------------------------------


def digest_title(day: dt.date, count: int) -> str:
    """`📰 Daily Papers — Saturday, March 14, 2026 · 87 papers`, as the thread's header."""
    return f"📰 Daily Papers — {format_day(day)} · {plural(count, 'paper')}"


def digest_page(
    day: dt.date, papers: Sequence[Paper], *, total: int, first_rank: int, page: int, pages: int
) -> discord.Embed:
    """One page of a day: a numbered line a paper, its title linking to the paper, ▲
    upvotes when known."""
    budget = DESCRIPTION_LIMIT // max(len(papers), 1) - 1
    lines = []
    for rank, paper in enumerate(papers, start=first_rank):
        line = " · ".join([_title_line(paper, rank, budget), *_upvotes(paper)])
        lines.append(clip(line, budget))
    embed = discord.Embed(
        title=digest_title(day, total),
        description=clip("\n".join(lines), DESCRIPTION_LIMIT) or None,
        colour=COLOUR,
    )
    embed.set_footer(text=f"page {page} of {pages}")
    return embed


# -- pieces of both --------------------------------------------------------------------


def _title_line(paper: Paper, rank: int, budget: int) -> str:
    """`**3.** [Title](url)`: the title linked when the paper has a page and the line
    fits `budget` with the link, else plain."""
    title = shorten(paper.title, LIST_TITLE_CHARS, sentences=False)
    linked = f"**{rank}.** {markdown_link(title, paper_url(paper))}"
    return linked if len(linked) <= budget else clip(f"**{rank}.** {title}", budget)


def _upvotes(paper: Paper) -> list[str]:
    return [f"▲ {paper.meta.upvotes:,}"] if paper.meta.upvotes is not None else []


def _clip_markup(value: str, limit: int) -> str:
    """Clip text that may hold `**bold**` pairs without leaving one open."""
    clipped = clip(value, limit)
    if clipped.count("**") % 2:
        clipped = clip(clipped[: clipped.rfind("**")], limit)
    return clipped


def open_options(papers: Sequence[Paper], first_rank: int) -> list[discord.SelectOption]:
    """The options of a page's "open a paper" menu (at most 25): `3. Title` and what
    is known of it, each within Discord's 100 characters; the value is the paper's id."""
    options = []
    for rank, paper in enumerate(papers[:SELECT_OPTIONS], start=first_rank):
        prefix = f"{rank}. "
        title = shorten(paper.title, OPTION_LIMIT - len(prefix), sentences=False, escape=False)
        label = prefix + (title or "?")
        facts = [f"▲ {paper.meta.upvotes:,}"] if paper.meta.upvotes is not None else []
        if authors := paper.meta.authors:
            names = ", ".join(_plain(name) for name in authors[:AUTHORS_ON_CARDS])
            facts.append(names + (" et al." if len(authors) > AUTHORS_ON_CARDS else ""))
        facts = facts or [days_text(paper.days)]
        description = clip(" · ".join(facts), OPTION_LIMIT)
        options.append(
            discord.SelectOption(label=label, value=str(paper.id), description=description)
        )
    return options


def _plain(raw: str) -> str:
    """Digest text for places Discord shows as typed (menu labels): TeX tidied, one
    line. The markdown escapes of `shown` would show there as backslashes."""
    return _SPACES.sub(" ", tex.tidy(raw)).strip() or "?"


# -- lines around them -----------------------------------------------------------------


def shared_by(user_id: int) -> str:
    """The line above a shared result: `📤 Shared by @name`. It names the member with a
    mention, which pings nobody only when sent with `AllowedMentions.none()`."""
    return f"📤 Shared by <@{user_id}>"


def random_heading(topic: str | None) -> str:
    """`🎲 Random paper on “diffusion”` (or `🎲 Random paper`), above a random pick."""
    if topic:
        return f"🎲 Random paper on “{safe_clip(topic, 150)}”"
    return "🎲 Random paper"
