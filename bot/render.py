"""Days to Discord-sized messages: the header, the thread's cards packed into
messages, the closing line, and the small pieces other modules share.

Every function here respects Discord's limits by construction and shows digest text
literally (bot.markup): markdown is escaped and mentions are defused, so `@everyone
*bold*` in a title is displayed, never obeyed. Paper cards are built in bot.cards,
lists of papers in bot.lists. Builds values only; sends nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import discord

from bot.cards import post_embed
from bot.dates import format_day, short_day
from bot.hub_source import SourceState
from bot.markup import (
    BUTTON_LABEL_LIMIT,
    CHOICE_LIMIT,
    CONTENT_LIMIT,
    CUSTOM_ID_LIMIT,
    DESCRIPTION_LIMIT,
    ELLIPSIS,
    EMBED_CHARS_PER_MESSAGE,
    EMBEDS_PER_MESSAGE,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    OPTION_LIMIT,
    SELECT_OPTIONS,
    TITLE_LIMIT,
    URL_LIMIT,
    clip,
    safe,
    safe_clip,
    shorten,
    shown,
)
from bot.models import Paper
from bot.wording import plural

# The limits and text helpers, for the modules that have always found them here.
__all__ = [
    "BUTTON_LABEL_LIMIT",
    "CHOICE_LIMIT",
    "CONTENT_LIMIT",
    "CUSTOM_ID_LIMIT",
    "DESCRIPTION_LIMIT",
    "ELLIPSIS",
    "EMBEDS_PER_MESSAGE",
    "EMBED_CHARS_PER_MESSAGE",
    "FIELD_NAME_LIMIT",
    "FIELD_VALUE_LIMIT",
    "FOOTER_LIMIT",
    "OPTION_LIMIT",
    "SELECT_OPTIONS",
    "TITLE_LIMIT",
    "URL_LIMIT",
    "choice_name",
    "clip",
    "closing_line",
    "day_header",
    "day_messages",
    "header_prefix",
    "headline",
    "most_upvoted",
    "pack",
    "safe",
    "safe_clip",
    "shorten",
    "shown",
    "source_status",
    "thread_name",
]


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
    return f"• {shorten(paper.title, 150, sentences=False)}{upvotes}"


def closing_line(day: dt.date, paper_count: int) -> str:
    """The last message of a day's post: how many papers it held, and how to be pinged
    for topics. Pings nobody (no mention in it), well within 2,000 characters."""
    when = format_day(day)
    if paper_count == 0:
        count = f"No papers for {when}."
    elif paper_count == 1:
        count = f"That's the one paper for {when}."
    else:
        count = f"That's all {plural(paper_count, 'paper')} for {when}."
    return (
        f"{count} To get pinged when a new paper matches your topics, use `/subscribe` "
        "(e.g. `/subscribe keyword: diffusion`)."
    )


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
