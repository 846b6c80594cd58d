"""/subscribe, /unsubscribe and /subscriptions: a member's keyword alerts in a server."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import matching, render
from bot.author_search import author_names
from bot.client import Paperboy
from bot.errors import UserError
from bot.models import Subscribed
from bot.wording import plural

SERVER_ONLY = (
    "Subscriptions belong to a server: run this command in the server whose daily papers "
    "you want alerts for."
)

KeywordText = app_commands.Range[str, 1, matching.MAX_KEYWORD_CHARS]
# Where a member's alerts go, as /subscribe and /subscriptions say it.
PLACES = {
    "thread": "a mention in the day's thread",
    "dm": "a direct message",
    "off": "off (nothing is sent)",
}


def _guild_id(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise UserError(SERVER_ONLY)
    return interaction.guild_id


class Subscriptions(commands.Cog):
    """Members follow topics; new matching papers mention them in the day's thread."""

    def __init__(self, bot: Paperboy) -> None:
        self.bot = bot

    @app_commands.command(name="subscribe", description="Get alerted when new papers match")
    @app_commands.describe(
        keyword="A word or phrase, e.g. diffusion, chain of thought, RLHF",
        author="Or a person's full name, e.g. Yann LeCun (start typing to pick)",
        exclude="Words that veto a match, e.g. audio (optional)",
    )
    async def subscribe(
        self,
        interaction: discord.Interaction,
        keyword: KeywordText | None = None,
        author: KeywordText | None = None,
        exclude: KeywordText | None = None,
    ) -> None:
        guild_id = _guild_id(interaction)
        if (keyword is None) == (author is None):
            raise UserError(
                "Give either a `keyword` (e.g. `diffusion`) or an `author` (e.g. `Yann LeCun`), "
                "not both."
            )
        if author is not None:
            parsed = matching.parse_author(author, exclude)
        else:
            assert keyword is not None
            parsed = matching.parse_keyword(keyword, exclude)
        outcome = await self.bot.alerts.subscribe(guild_id, interaction.user.id, parsed)
        shown = render.safe(parsed.describe())
        if outcome is Subscribed.DUPLICATE:
            raise UserError(f"You already follow **{shown}** here.")
        if outcome is Subscribed.LIMIT:
            raise UserError(
                f"You follow {matching.MAX_SUBSCRIPTIONS} keywords and authors here already, "
                "the most allowed. Remove one with `/unsubscribe` first."
            )
        count, examples = await self.bot.catalog.keyword_matches(parsed)
        place, _ = await self.bot.alerts.settings_of(guild_id, interaction.user.id)
        lines = [f"Subscribed to **{shown}**. New papers that match: {PLACES[place]}."]
        lines.append(f"{plural(count, 'paper')} already in the archive would have matched.")
        lines += [f"• {render.safe_clip(paper.title, 150)}" for paper in examples]
        if await self.bot.database.posts.guild_channel(guild_id) is None:
            lines.append(
                "Note: this server has no digest channel yet, so no alerts can be sent "
                "until an admin runs `/setup`."
            )
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    @subscribe.autocomplete("author")
    async def author_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        found = await author_names(self.bot.database, current[: matching.MAX_KEYWORD_CHARS])
        return [
            app_commands.Choice(name=render.choice_name(name), value=name[:100]) for name in found
        ]

    @app_commands.command(name="unsubscribe", description="Stop following a keyword or author")
    @app_commands.describe(keyword="One of your keywords or authors (start typing to pick)")
    async def unsubscribe(self, interaction: discord.Interaction, keyword: KeywordText) -> None:
        guild_id = _guild_id(interaction)
        if not await self.bot.alerts.unsubscribe(guild_id, interaction.user.id, keyword):
            raise UserError(
                f"You do not follow **{render.safe_clip(keyword, 100)}** here. "
                "`/subscriptions` lists what you follow."
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
                name=render.choice_name(sub.keyword.describe()), value=sub.keyword.shown[:100]
            )
            for sub in mine
            if needle in sub.keyword.describe().lower()
        ][:25]

    @app_commands.command(name="subscriptions", description="Your keywords and authors here")
    async def subscriptions(self, interaction: discord.Interaction) -> None:
        guild_id = _guild_id(interaction)
        mine = await self.bot.alerts.of_member(guild_id, interaction.user.id)
        place, dm_failed = await self.bot.alerts.settings_of(guild_id, interaction.user.id)
        if not mine:
            raise UserError("You follow no keywords or authors here. Add one with `/subscribe`.")
        # Counting each subscription's matches may take a moment over a large archive.
        await interaction.response.defer(ephemeral=True, thinking=True)
        keywords = sum(1 for sub in mine if sub.keyword.kind == "keyword")
        authors = len(mine) - keywords
        follows = " and ".join(
            part
            for part in (
                plural(keywords, "keyword") if keywords else "",
                plural(authors, "author") if authors else "",
            )
            if part
        )
        lines = [f"You follow {follows} here. Alerts: {PLACES[place]}."]
        if place == "dm" and dm_failed:
            lines.append(
                "My last direct message to you was refused (are your DMs closed to this server?), "
                "so that alert came in the day's thread. Open your DMs or use "
                "`/alerts where: thread`."
            )
        for sub in mine:
            count, _ = await self.bot.catalog.keyword_matches(sub.keyword, examples=0)
            matched = plural(count, "paper")
            lines.append(f"• **{render.safe(sub.keyword.describe())}** — matched {matched} so far")
        lines.append("Stop following one with `/unsubscribe`; `/alerts` changes where alerts go.")
        await interaction.followup.send(render.clip("\n".join(lines), render.CONTENT_LIMIT))


async def setup(bot: Paperboy) -> None:
    await bot.add_cog(Subscriptions(bot))
