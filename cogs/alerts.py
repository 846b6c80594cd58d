"""/alerts: where a member's alerts go; and an alert's "See all" button."""

from __future__ import annotations

import re
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import alert_text, cards
from bot.alert_delivery import MATCHES_BUTTON
from bot.client import Paperboy

_TEMPLATE = (
    re.escape(MATCHES_BUTTON)
    .replace(r"\{post\}", r"(?P<post>[0-9]+)")
    .replace(r"\{user\}", r"(?P<user>[0-9]+)")
)


class AllMatchesButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=_TEMPLATE
):
    """An alert's "See all": every paper of the day its member's subscriptions match.

    Persistent: it answers after a restart, for as long as the alert exists.
    """

    def __init__(self, post_id: int, user_id: int) -> None:
        custom_id = MATCHES_BUTTON.format(post=post_id, user=user_id)
        super().__init__(discord.ui.Button(label="See all", custom_id=custom_id))
        self.post_id = post_id
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> AllMatchesButton:
        return cls(int(match["post"]), int(match["user"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.user.id != self.user_id:
            await interaction.response.send_message(
                "This list belongs to the member the alert is for; `/subscribe` gets you "
                "your own alerts.",
                ephemeral=True,
            )
            return
        bot: Paperboy = interaction.client
        post = await bot.database.posts.get(self.post_id)
        if post is None:
            await interaction.response.send_message("That day's post is gone.", ephemeral=True)
            return
        matches = await bot.alerts.post_matches(post, self.user_id)
        embed = discord.Embed(
            description=alert_text.full_list(post.day, matches), colour=cards.COLOUR
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)


WHERE = {
    "thread": "Your alerts here will mention you in each day's thread.",
    "dm": (
        "Your alerts here will come by direct message. If your DMs are closed to this "
        "server, that day's alert mentions you in the thread instead."
    ),
    "off": (
        "Your alerts here are off: nothing is sent, and papers of days meanwhile are not "
        "sent later. `/alerts where: thread` turns them back on."
    ),
}


class Alerts(commands.Cog):
    """Where each member's alerts go, and alerts' buttons."""

    def __init__(self, bot: Paperboy) -> None:
        self.bot = bot

    @app_commands.command(name="alerts", description="Where your alerts in this server go")
    @app_commands.describe(
        where="thread: a mention in the day's thread; dm: a direct message; off: none"
    )
    @app_commands.guild_only()
    async def alerts(
        self, interaction: discord.Interaction, where: Literal["thread", "dm", "off"]
    ) -> None:
        assert interaction.guild_id is not None  # guild_only
        await self.bot.alerts.set_place(interaction.guild_id, interaction.user.id, where)
        await interaction.response.send_message(WHERE[where], ephemeral=True)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AllMatchesButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(AllMatchesButton)


async def setup(bot: Paperboy) -> None:
    await bot.add_cog(Alerts(bot))
