"""A member's alert for a day: one message within Discord's limits, pinging only them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.dates import short_day
from bot.models import Paper
from bot.render import CONTENT_LIMIT, clip, safe
from bot.wording import plural


def alert_message(
    user_id: int, day: dt.date, matched: Sequence[tuple[Paper, Sequence[str]]]
) -> tuple[str, list[int]]:
    """A member's alert for a day, one message within 2,000 characters: (content, the
    ids of every paper it covers). Papers past the room are counted, not listed, and
    covered all the same: a member gets one alert message a day, however many match."""
    heading = f"<@{user_id}> papers of {short_day(day)} matching your subscriptions:"
    lines = [heading]
    listed = 0
    for paper, keywords in matched:
        line = clip(
            f"• **{safe(paper.title)}** — matched {', '.join(safe(k) for k in keywords)}", 600
        )
        rest = len(matched) - listed - 1
        footer = _more_line(rest) if rest else ""
        if len("\n".join([*lines, line, footer])) > CONTENT_LIMIT:
            break
        lines.append(line)
        listed += 1
    if listed < len(matched):
        lines.append(_more_line(len(matched) - listed))
    return "\n".join(lines), [paper.id for paper, _ in matched]


def _more_line(count: int) -> str:
    return f"…and {plural(count, 'more paper')} in this thread."
