"""Papers to Discord-sized pieces: embeds, pages, and packed messages.

Every function here respects Discord's limits by construction and shows digest text
literally: markdown is escaped and mentions are defused, so `@everyone *bold*` in a
title is displayed, never obeyed. Builds `discord.Embed` values only; sends nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import discord
from discord.utils import escape_markdown, escape_mentions

from bot import arxiv, text
from bot.dates import format_day, short_day
from bot.digest_json import link_key
from bot.hub_source import SourceState
from bot.models import Paper
from bot.wording import plural

CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBEDS_PER_MESSAGE = 10
EMBED_CHARS_PER_MESSAGE = 6000
BUTTON_LABEL_LIMIT = 80
URL_LIMIT = 512
CHOICE_LIMIT = 100
ELLIPSIS = "…"
POST_EMBED_CHARS = EMBED_CHARS_PER_MESSAGE // EMBEDS_PER_MESSAGE  # ten always fit
MIN_EXCERPT = 120
MAX_NOTED_WORDS = 10  # left-out query words named above search results
COLOUR = discord.Colour(0xF2A03D)
ARXIV_SEARCH = "https://arxiv.org/search/?searchtype=title&query="


_MENTION_MARKUP = re.compile(r"<(@[!&]?|#|/|t:|a?:)")


def safe(raw: str) -> str:
    """Digest or user text made inert: markdown escaped and mentions defused.

    A zero-width space after `@` or `<` keeps `@everyone`, `<@123>`, `<@&456>` and
    `<#789>` visible as typed without Discord turning them into mentions.
    """
    escaped = escape_mentions(escape_markdown(raw, as_needed=False))
    return _MENTION_MARKUP.sub(lambda match: "<\u200b" + match.group(1), escaped)


def clip(value: str, limit: int) -> str:
    """`value` cut to `limit` characters, ending in an ellipsis only when it was longer."""
    if len(value) <= limit:
        return value
    cut = value[: limit - len(ELLIPSIS)]
    # Never leave a dangling escape backslash that would eat the ellipsis.
    trailing = len(cut) - len(cut.rstrip("\\"))
    if trailing % 2:
        cut = cut[:-1]
    return cut + ELLIPSIS


def safe_clip(raw: str, limit: int) -> str:
    return clip(safe(raw), limit)


def query_note(corrections: Mapping[str, str], unknown: Sequence[str]) -> str | None:
    """The line above search results: typos corrected, and words no paper holds."""
    lines = []
    if corrections:
        fixed = ", ".join(f"*{safe_clip(new, 40)}*" for new in corrections.values())
        lines.append(f"Showing results for: {fixed}")
    if unknown:
        shown = ", ".join(f"*{safe_clip(word, 40)}*" for word in unknown[:MAX_NOTED_WORDS])
        more = len(unknown) - MAX_NOTED_WORDS
        lines.append(f"Left out (in no paper): {shown}" + (f" and {more} more" if more > 0 else ""))
    return "\n".join(lines) or None


def days_text(days: Sequence[dt.date]) -> str:
    return ", ".join(short_day(day) for day in days) or "unknown day"


def arxiv_search_url(title: str) -> str:
    return clip(ARXIV_SEARCH + urllib.parse.quote_plus(title), URL_LIMIT)


@dataclass(frozen=True)
class LinkButton:
    label: str
    url: str


def paper_links(paper: Paper) -> list[LinkButton]:
    """Link buttons for a paper, each page once: its arXiv, PDF and Hugging Face pages
    when its id is known (else an arXiv title search), its code and project page."""
    buttons = [LinkButton(label, url) for label, url in page_links(paper, abstract=True)]
    if paper.meta.arxiv_id is None:
        buttons.append(LinkButton("Search arXiv", arxiv_search_url(paper.title)))
    return buttons


def page_links(paper: Paper, *, abstract: bool) -> list[tuple[str, str]]:
    """(label, URL) of a paper's pages, each once (two spellings of one repository are
    one): arXiv (if `abstract`), PDF and Hugging Face from its id, then code and
    project page. URLs too long for Discord or that would break a markdown link are
    left out."""
    pairs: list[tuple[str, str]] = []
    if (arxiv_id := paper.meta.arxiv_id) is not None:
        if abstract:
            pairs.append(("arXiv", arxiv.abstract_url(arxiv_id)))
        pairs += [
            ("PDF", arxiv.pdf_url(arxiv_id)),
            ("Hugging Face", arxiv.hugging_face_url(arxiv_id)),
        ]
    pairs += [("Code", paper.code_url or ""), ("Project page", paper.project_url or "")]
    unique: dict[str, tuple[str, str]] = {}
    for label, url in pairs:
        if url and len(url) <= URL_LIMIT and ")" not in url:
            unique.setdefault(link_key(url), (label, url))
    return list(unique.values())


def title_url(paper: Paper) -> str:
    """Where a paper's title leads: its arXiv abstract, else an arXiv title search."""
    arxiv_id = paper.meta.arxiv_id
    return arxiv.abstract_url(arxiv_id) if arxiv_id else arxiv_search_url(paper.title)


def authors_text(authors: Sequence[str]) -> str:
    """`A, B, C et al.`: the first three authors, escaped."""
    shown = ", ".join(safe(name) for name in authors[:3])
    return shown + (" et al." if len(authors) > 3 else "")


def byline(paper: Paper, limit: int = 200) -> str:
    """`A, B, C et al. · ▲ 41`: the first authors and the upvotes, as far as known."""
    parts = [authors_text(paper.meta.authors)] if paper.meta.authors else []
    if paper.meta.upvotes is not None:
        parts.append(f"▲ {paper.meta.upvotes:,}")
    return clip(" · ".join(parts), limit)


def paper_embed(paper: Paper, footer: str | None = None) -> discord.Embed:
    """One paper in full: title (linking to arXiv when the id is known), whole abstract
    (cut at 4,096 only if longer), authors, upvotes, days. Its links are buttons
    (`paper_links`)."""
    embed = discord.Embed(
        title=safe_clip(paper.title, TITLE_LIMIT),
        description=safe_clip(paper.abstract, DESCRIPTION_LIMIT),
        colour=COLOUR,
        url=arxiv.abstract_url(paper.meta.arxiv_id) if paper.meta.arxiv_id else None,
    )
    if paper.meta.authors:
        value = clip(authors_text(paper.meta.authors), FIELD_VALUE_LIMIT)
        embed.add_field(name="Authors", value=value)
    if paper.meta.upvotes is not None:
        embed.add_field(name="Upvotes", value=f"▲ {paper.meta.upvotes:,}")
    embed.add_field(name="Appeared", value=clip(days_text(paper.days), FIELD_VALUE_LIMIT))
    if footer:
        embed.set_footer(text=clip(footer, FOOTER_LIMIT))
    return embed


def excerpt(abstract: str, terms: Iterable[str] = (), width: int = 240) -> str:
    """A window of `abstract` around the first query term, query words in bold, all escaped."""
    wanted = set(terms)
    spans = [(start, end) for start, end, term in text.word_spans(abstract) if term in wanted]
    start = max(spans[0][0] - width // 4, 0) if spans else 0
    end = min(start + width, len(abstract))
    if start:  # begin at a word boundary
        space = abstract.find(" ", start)
        start = space + 1 if 0 <= space < spans[0][0] else start
    pieces: list[str] = ["…" if start else ""]
    cursor = start
    for span_start, span_end in spans:
        if span_start < cursor or span_end > end:
            continue
        pieces += [safe(abstract[cursor:span_start]), "**", safe(abstract[span_start:span_end])]
        pieces.append("**")
        cursor = span_end
    pieces.append(safe(abstract[cursor:end]))
    if end < len(abstract):
        pieces.append("…")
    return "".join(pieces)


def result_field(paper: Paper, terms: Sequence[str], rank: int) -> tuple[str, str]:
    """(name, value) of one search result or day entry, within field limits."""
    name = clip(f"{rank}. {safe(paper.title)}", FIELD_NAME_LIMIT)
    value = f"*{days_text(paper.days)}*\n{excerpt(paper.abstract, terms)}"
    return name, _clip_markup(value, FIELD_VALUE_LIMIT)


def _clip_markup(value: str, limit: int) -> str:
    """Clip text that may hold `**bold**` pairs without leaving one open."""
    clipped = clip(value, limit)
    if clipped.count("**") % 2:
        clipped = clip(clipped[: clipped.rfind("**")], limit)
    return clipped


def list_page(
    title: str,
    papers: Sequence[Paper],
    *,
    first_rank: int,
    page: int,
    pages: int,
    terms: Sequence[str] = (),
    note: str | None = None,
) -> discord.Embed:
    """One page of a paged list (search results or a day), with "page k of n"."""
    embed = discord.Embed(title=clip(title, TITLE_LIMIT), colour=COLOUR)
    if note:
        embed.description = clip(note, DESCRIPTION_LIMIT)
    for offset, paper in enumerate(papers):
        name, value = result_field(paper, terms, first_rank + offset)
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=f"page {page} of {pages}")
    return embed


def post_embed(paper: Paper, day: dt.date, rank: int) -> discord.Embed:
    """A paper in a day's thread: title (linking to arXiv), authors and upvotes, the
    one-sentence summary (else an abstract excerpt), links, and a repeat marker.

    At most POST_EMBED_CHARS in all, so ten always fit in one message: the excerpt gets
    what the rest leaves, and links that would leave it under MIN_EXCERPT are dropped.
    """
    title = clip(f"{rank}. {safe(paper.title)}", TITLE_LIMIT)
    earlier = [seen for seen in paper.days if seen < day]
    marker = f"\n↻ also on {short_day(earlier[-1])}" if earlier else ""
    if len(earlier) > 1:
        marker += f" and {len(earlier) - 1} earlier days"
    by = byline(paper, 150)
    head = f"{by}\n" if by else ""
    links = ""
    for label, url in page_links(paper, abstract=False):
        more = f"{links} · [{label}]({url})" if links else f"\n[{label}]({url})"
        if len(title) + len(head) + len(more) + len(marker) + MIN_EXCERPT > POST_EMBED_CHARS:
            break
        links = more
    room = POST_EMBED_CHARS - len(title) - len(head) - len(links) - len(marker)
    text = paper.meta.ai_summary or paper.abstract
    return discord.Embed(
        title=title,
        description=head + clip(safe(text), room) + links + marker,
        colour=COLOUR,
        url=title_url(paper),
    )


def day_messages(
    papers: Sequence[Paper], day: dt.date, papers_sent: int
) -> list[tuple[int, list[discord.Embed]]]:
    """(index of first paper, embeds) for each message of a day's post still to send,
    in page order, from paper `papers_sent` on."""
    embeds = [
        post_embed(paper, day, rank)
        for rank, paper in enumerate(papers[papers_sent:], start=papers_sent + 1)
    ]
    messages = []
    first = papers_sent
    for batch in pack(embeds):
        messages.append((first, batch))
        first += len(batch)
    return messages


def pack(embeds: Sequence[discord.Embed]) -> list[list[discord.Embed]]:
    """Group embeds into messages of at most 10 embeds and 6,000 embed characters."""
    messages: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    size = 0
    for embed in embeds:
        length = len(embed)
        if current and (
            len(current) == EMBEDS_PER_MESSAGE or size + length > EMBED_CHARS_PER_MESSAGE
        ):
            messages.append(current)
            current, size = [], 0
        current.append(embed)
        size += length
    if current:
        messages.append(current)
    return messages


def day_header(
    day: dt.date,
    papers: Sequence[Paper],
    shown: int = 5,
    *,
    total: int | None = None,
    ping_role_id: int | None = None,
) -> str:
    """The channel message that opens a day's post of `papers`: of `total` on the day
    when the server posts only its top N, and mentioning `ping_role_id` at the end."""
    count = plural(len(papers), "paper")
    if total is not None and total > len(papers):
        count = f"top {len(papers)} of {plural(total, 'paper')}"
    lines = [f"{header_prefix(day)} · {count}"]
    top = most_upvoted(papers, shown)
    if top != list(papers[:shown]):
        lines.append("Most upvoted:")
    lines += [headline(paper) for paper in top]
    if len(papers) > shown:
        lines.append(f"…and {len(papers) - shown} more in the thread.")
    if total is not None and total > len(papers):
        lines.append(f"All {total} are in `/digest date: {day.isoformat()}`.")
    text = clip("\n".join(lines), CONTENT_LIMIT - 40)
    return text + f"\n<@&{ping_role_id}>" if ping_role_id is not None else text


def header_prefix(day: dt.date) -> str:
    """How a day's header begins: the same whatever the day's paper count."""
    return f"📰 **Daily Papers — {format_day(day)}**"


def most_upvoted(papers: Sequence[Paper], count: int) -> list[Paper]:
    """The `count` papers a day's header names: the most upvoted when upvotes are known
    (ties in the day's order), else the first."""
    if all(paper.meta.upvotes is None for paper in papers):
        return list(papers[:count])
    return sorted(papers, key=lambda paper: -(paper.meta.upvotes or 0))[:count]


def headline(paper: Paper) -> str:
    upvotes = f" · ▲ {paper.meta.upvotes:,}" if paper.meta.upvotes is not None else ""
    return f"• {safe_clip(paper.title, 150)}{upvotes}"


def source_status(state: SourceState) -> str:
    """The Hub source's line in `/setup`: the last fetch, the newest day, the last error."""
    fetched = (
        discord.utils.format_dt(state.last_success_at, "R") if state.last_success_at else "not yet"
    )
    newest = short_day(state.newest_day) if state.newest_day else "none yet"
    line = f"Papers come from Hugging Face: last fetched {fetched}, newest day {newest}."
    if state.last_error and state.last_error_at:
        when = discord.utils.format_dt(state.last_error_at, "R")
        line += f" Last error ({when}): {clip(safe(state.last_error), 300)}"
        if state.retry_at:
            line += f"; next try {discord.utils.format_dt(state.retry_at, 'R')}"
        line += "."
    return line


def thread_name(day: dt.date) -> str:
    return f"Papers {day.isoformat()}"


def choice_name(label: str) -> str:
    """An autocomplete choice label within Discord's 100 characters."""
    return clip(" ".join(label.split()) or "?", CHOICE_LIMIT)
