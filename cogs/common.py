"""Helpers every cog uses to answer interactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import discord
from discord import app_commands

from bot import render
from bot.client import reply_ephemeral
from bot.errors import UserError
from bot.search import Catalog


@asynccontextmanager
async def user_errors(interaction: discord.Interaction) -> AsyncIterator[None]:
    """Answer a `UserError` raised in the block with its message, privately.

    Expected outcomes (bad input, nothing found) end here; anything else propagates
    to the command tree's handler, which logs it and apologises.
    """
    try:
        yield
    except UserError as error:
        await reply_ephemeral(interaction, error.message)


async def day_choices(catalog: Catalog, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for a day option: known days, newest first, matching what is typed."""
    needle = current.strip().lower()
    choices = []
    for summary in await catalog.known_days():
        label = f"{render.format_day(summary.day)} · {summary.paper_count} papers"
        if needle in label.lower() or needle in summary.day.isoformat():
            choices.append(
                app_commands.Choice(name=render.choice_name(label), value=summary.day.isoformat())
            )
        if len(choices) == 25:
            break
    return choices
