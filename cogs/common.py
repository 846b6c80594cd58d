"""Pieces several cogs share: option types and day autocomplete."""

from __future__ import annotations

from discord import app_commands

from bot import render
from bot.dates import format_day
from bot.search import MAX_QUERY_CHARS, Catalog

#: A search query, title or topic: Discord itself refuses empty or longer text.
QueryText = app_commands.Range[str, 1, MAX_QUERY_CHARS]
#: A day as typed, e.g. `Mar 14` or `2026-03-14`.
DayText = app_commands.Range[str, 1, 40]


async def day_choices(catalog: Catalog, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for a day option: known days, newest first, matching what is typed."""
    needle = current.strip().lower()
    choices = []
    for summary in await catalog.known_days():
        label = f"{format_day(summary.day)} · {summary.paper_count} papers"
        if needle in label.lower() or needle in summary.day.isoformat():
            choices.append(
                app_commands.Choice(name=render.choice_name(label), value=summary.day.isoformat())
            )
        if len(choices) == 25:
            break
    return choices
