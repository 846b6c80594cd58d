"""A member's alert for a day: one message within Discord's limits, readable at a glance.

The papers are grouped by the subscription they matched (a keyword, or `author: …`),
the most upvoted first; each title links to its card in the day's thread, and a second
link opens the paper. When too many match to list, each group shows its first few and
says how many more, and the message carries a button that lists them all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot import cards
from bot.dates import format_day
from bot.markup import CONTENT_LIMIT, DESCRIPTION_LIMIT, URL_LIMIT, clip, safe, shorten, shown
from bot.models import Paper
from bot.wording import plural

MOST_PER_GROUP = 5  # papers listed under one subscription when there is room
TITLE_CHARS = 120


@dataclass(frozen=True)
class AlertPaper:
    """A paper in a member's alert: the subscriptions it matched, and its card."""

    paper: Paper
    labels: tuple[str, ...]  # as the member sees them: `diffusion`, `author: Yann LeCun`
    card_url: str | None = None  # the card's message in the day's thread


@dataclass(frozen=True)
class Alert:
    """The message: its content, every paper it covers, and whether some are unlisted."""

    content: str
    paper_ids: list[int]
    unlisted: int


def alert_message(
    day: dt.date, papers: Sequence[AlertPaper], *, mention: int | None, server: str = ""
) -> Alert:
    """The alert for `papers` (in the day's order): for `mention`'s member in the thread,
    or (`mention` None) sent to them privately, naming the `server`."""
    groups = _groups(papers)
    heading = _heading(day, len(papers), mention, server)
    for most in range(MOST_PER_GROUP, 0, -1):
        content, listed = _content(heading, groups, most)
        if len(content) <= CONTENT_LIMIT:
            break
    else:  # even one a group is too long: as many groups as fit
        content, listed = _fitting_groups(heading, groups, len(papers))
    return Alert(content, [item.paper.id for item in papers], len(papers) - listed)


def full_list(day: dt.date, papers: Sequence[AlertPaper]) -> str:
    """Every paper of an alert, for the member alone (an embed's description)."""
    heading = f"{plural(len(papers), 'paper')} of {format_day(day)} matching your subscriptions"
    lines = [heading]
    for label, items in _groups(papers).items():
        lines.append(_group_line(label, items))
        lines += [paper_line(item) for item in items]
    text = "\n".join(lines)
    if len(text) <= DESCRIPTION_LIMIT:
        return text
    shown = text[: DESCRIPTION_LIMIT - 60].rsplit("\n", 1)[0]
    left = len(lines) - shown.count("\n") - 1
    return shown + f"\n…and {plural(left, 'more line')}: `/digest` shows the whole day."


def card_url(guild_id: int, channel_id: int, message_id: int) -> str:
    """The jump URL of a message in a server's channel or thread."""
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def paper_line(item: AlertPaper) -> str:
    """`• [Title](card) · [paper](arXiv) · ▲ 41`, within Discord's link rules."""
    title = shorten(item.paper.title, TITLE_CHARS, sentences=False)
    title = title.replace("[", "(").replace("]", ")")  # brackets would end the link text
    parts = [_link(title, item.card_url) if item.card_url else f"**{title}**"]
    if (url := cards.paper_url(item.paper)) is not None:
        parts.append(_link("paper", url))
    if item.paper.meta.upvotes is not None:
        parts.append(f"▲ {item.paper.meta.upvotes:,}")
    if len(item.labels) > 1:  # listed under its first; say what else it matched
        parts.append("also " + clip(", ".join(shown(label) for label in item.labels[1:]), 100))
    return "• " + " · ".join(parts)


def _link(text: str, url: str) -> str:
    if len(url) > URL_LIMIT or ")" in url:
        return f"**{text}**"
    return f"[{text}](<{url}>)"  # <> keeps Discord from adding a preview of the page


def _heading(day: dt.date, count: int, mention: int | None, server: str) -> str:
    what = f"{plural(count, 'paper')} of {format_day(day)} matching your subscriptions"
    if mention is not None:
        return f"<@{mention}> {what}:"
    where = f" in **{clip(safe(server), 100)}**" if server else ""
    return f"📬 {what}{where}:"


def _groups(papers: Sequence[AlertPaper]) -> dict[str, list[AlertPaper]]:
    """label -> its papers, most upvoted first (then in the day's order); a paper is
    listed under the first of its labels only."""
    groups: dict[str, list[AlertPaper]] = {}
    for item in papers:
        groups.setdefault(item.labels[0] if item.labels else "", []).append(item)
    for items in groups.values():
        items.sort(key=lambda item: -(item.paper.meta.upvotes or 0))
    return groups


def _content(heading: str, groups: dict[str, list[AlertPaper]], most: int) -> tuple[str, int]:
    """Up to `most` papers a group, the rest of each counted."""
    lines = [heading]
    listed = 0
    for label, items in groups.items():
        lines.append(_group_line(label, items))
        lines += [paper_line(item) for item in items[:most]]
        listed += min(most, len(items))
        if len(items) > most:
            lines.append(f"  …and {len(items) - most} more")
    return "\n".join(lines), listed


def _fitting_groups(
    heading: str, groups: dict[str, list[AlertPaper]], total: int
) -> tuple[str, int]:
    """One paper a group for as many groups as fit, every other paper counted."""
    lines = [heading]
    listed = 0
    for label, items in groups.items():
        block = [_group_line(label, items), paper_line(items[0])]
        rest = total - listed - 1
        closing = f"…and {plural(rest, 'more paper')}" if rest else ""
        if len("\n".join([*lines, *block, closing])) > CONTENT_LIMIT:
            break
        lines += block
        listed += 1
    if listed < total:
        lines.append(f"…and {plural(total - listed, 'more paper')}")
    return "\n".join(lines), listed


def _group_line(label: str, items: Sequence[AlertPaper]) -> str:
    return f"**{clip(shown(label), 100)}** · {len(items)}"
