"""/subscribe, /unsubscribe and /subscriptions: a member's keyword alerts in a server."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import matching, render
from bot.client import Paperboy
from bot.errors import UserError
from bot.models import Subscribed

SERVER_ONLY = (
    "Subscriptions belong to a server: run this command in the server whose daily papers "
    "you want alerts for."
)

KeywordText = app_commands.Range[str, 1, matching.MAX_KEYWORD_CHARS]


def _guild_id(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise UserError(SERVER_ONLY)
    return interaction.guild_id


class Subscriptions(commands.Cog):
    """Members follow topics; new matching papers mention them in the day's thread."""

    def __init__(self, bot: Paperboy) -> None:
        self.bot = bot

    @app_commands.command(name="subscribe", description="Get mentioned when new papers match")
    @app_commands.describe(
        keyword="A word or phrase, e.g. diffusion, chain of thought, RLHF",
        exclude="Words that veto a match, e.g. audio (optional)",
    )
    async def subscribe(
        self,
        interaction: discord.Interaction,
        keyword: KeywordText,
        exclude: KeywordText | None = None,
    ) -> None:
        guild_id = _guild_id(interaction)
        parsed = matching.parse_keyword(keyword, exclude)
        outcome = await self.bot.alerts.subscribe(guild_id, interaction.user.id, parsed)
        shown = render.safe(parsed.describe())
        if outcome is Subscribed.DUPLICATE:
            raise UserError(f"You already follow **{shown}** here.")
        if outcome is Subscribed.LIMIT:
            raise UserError(
                f"You follow {matching.MAX_SUBSCRIPTIONS} keywords here already, the most "
                "allowed. Remove one with `/unsubscribe` first."
            )
        count, examples = await self.bot.catalog.keyword_matches(parsed)
        lines = [f"Subscribed to **{shown}**. New papers that match will mention you."]
        lines.append(f"{count} papers already in the archive would have matched.")
        lines += [f"• {render.safe_clip(paper.title, 150)}" for paper in examples]
        if await self.bot.database.posts.guild_channel(guild_id) is None:
            lines.append(
                "Note: this server has no digest channel yet, so no alerts can be sent "
                "until an admin runs `/setup`."
            )
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    @app_commands.command(name="unsubscribe", description="Stop following a keyword")
    @app_commands.describe(keyword="One of your keywords (start typing to pick)")
    async def unsubscribe(self, interaction: discord.Interaction, keyword: KeywordText) -> None:
        guild_id = _guild_id(interaction)
        if not await self.bot.alerts.unsubscribe(guild_id, interaction.user.id, keyword):
            raise UserError(
                f"You do not follow **{render.safe_clip(keyword, 100)}** here. "
                "`/subscriptions` lists your keywords."
            )
        await interaction.response.send_message(
            f"Unsubscribed from **{render.safe_clip(keyword, 100)}**.", ephemeral=True
        )

    @unsubscribe.autocomplete("keyword")
    async def own_keywords(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        needle = current.strip().lower()
        mine = await self.bot.alerts.of_member(interaction.guild_id, interaction.user.id)
        return [
            app_commands.Choice(
                name=render.choice_name(sub.keyword.describe()), value=sub.keyword.label
            )
            for sub in mine
            if needle in sub.keyword.describe().lower()
        ][:25]

    @app_commands.command(name="subscriptions", description="Your keywords in this server")
    async def subscriptions(self, interaction: discord.Interaction) -> None:
        guild_id = _guild_id(interaction)
        mine = await self.bot.alerts.of_member(guild_id, interaction.user.id)
        if not mine:
            raise UserError("You follow no keywords here. Add one with `/subscribe`.")
        lines = [f"You follow {len(mine)} keyword(s) here:"]
        for sub in mine:
            count, _ = await self.bot.catalog.keyword_matches(sub.keyword, examples=0)
            lines.append(f"• **{render.safe(sub.keyword.describe())}** — {count} papers")
        await interaction.response.send_message(
            render.clip("\n".join(lines), render.CONTENT_LIMIT), ephemeral=True
        )


async def setup(bot: Paperboy) -> None:
    await bot.add_cog(Subscriptions(bot))
