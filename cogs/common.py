"""Helpers every cog uses to answer interactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import discord

from bot.client import reply_ephemeral
from bot.errors import UserError


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
