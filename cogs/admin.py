"""/setup and /post: a server admin picks the digest channel and posts a day on demand."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import render, schedule
from bot.client import Paperboy
from bot.dates import format_day, resolve_day
from bot.errors import UserError
from bot.status import server_status
from bot.wording import plural
from cogs.common import DayText, day_choices

NO_CHANNEL = "No digest channel yet. Run `/setup channel:#your-channel` to choose one."
# What the bot needs in the digest channel, with the names the Discord client shows.
REQUIRED = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
}
FOR_THREADS = {
    "create_public_threads": "Create Public Threads",
    "send_messages_in_threads": "Send Messages in Threads",
}


class Admin(commands.Cog):
    """Server settings for the daily post. Both commands are hidden from members without
    Manage Server, and checked again when run: a server owner can show them to anyone."""

    def __init__(self, bot: Paperboy) -> None:
        self.bot = bot

    @app_commands.command(name="setup", description="Choose the channel for daily papers")
    @app_commands.describe(channel="Where new days are posted (leave out to see the settings)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def setup(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        assert interaction.guild is not None  # guild_only
        if channel is None:
            reply = await self._settings_text(interaction.guild)
        else:
            reply = await self._configure(interaction.user.id, channel)
        await interaction.response.send_message(reply, ephemeral=True)

    async def _configure(self, user_id: int, channel: discord.TextChannel) -> str:
        permissions = channel.permissions_for(channel.guild.me)
        missing = [name for flag, name in REQUIRED.items() if not getattr(permissions, flag)]
        if missing:
            raise UserError(
                f"I cannot post in {channel.mention}: I am missing **{', '.join(missing)}** "
                "there. Grant them to my role in the channel settings and run `/setup` again."
            )
        archive = self.bot.database.archive
        latest = await archive.latest_day()
        previous = await self.bot.database.posts.set_channel(
            channel.guild.id, channel.id, user_id, latest
        )
        lines = [
            f"Daily papers will be posted in {channel.mention}"
            + (f" (moved from <#{previous.channel_id}>)." if previous else ".")
        ]
        if latest:
            count = await archive.day_paper_count(latest)
            lines.append(f"Latest day available: {format_day(latest)} ({plural(count, 'paper')}).")
        lines.append(
            "New days will be posted as they arrive (of many days at once, only the newest); "
            "`/post` posts a day now. Days already available are not posted automatically."
        )
        no_threads = [name for flag, name in FOR_THREADS.items() if not getattr(permissions, flag)]
        if no_threads:
            lines.append(
                f"Note: without **{', '.join(no_threads)}** I will post the papers in the "
                "channel itself instead of a thread for each day."
            )
        return "\n".join(lines)

    async def _settings_text(self, guild: discord.Guild) -> str:
        problem = self.bot.ingest_problem
        found = await server_status(
            self.bot.database,
            guild.id,
            discord.utils.utcnow(),
            f"{problem.error} (since {discord.utils.format_dt(problem.since, 'R')})"
            if problem
            else None,
            self.bot.publisher.unrecorded_failures.get(guild.id),
        )
        source = self.bot.hub_source
        lines = found.lines() if found else [NO_CHANNEL]
        if source is not None:
            lines.append(render.source_status(source.state))
        return render.clip("\n".join(lines), render.CONTENT_LIMIT)

    @app_commands.command(name="post", description="Post a day's papers now (admins)")
    @app_commands.describe(date="The day to post, e.g. 'Mar 14' (default: the latest)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def post(self, interaction: discord.Interaction, date: DayText | None = None) -> None:
        assert interaction.guild is not None  # guild_only
        posts = self.bot.database.posts
        server = await posts.guild_channel(interaction.guild.id)
        if server is None:
            raise UserError("Choose a channel first with `/setup channel:#your-channel`.")
        known = [summary.day for summary in await self.bot.catalog.known_days()]
        day = resolve_day(date, known)
        await interaction.response.defer(ephemeral=True, thinking=True)
        post = await posts.request(server.guild_id, server.channel_id, day, interaction.user.id)
        post = await self.bot.publisher.post_now(post)
        count = await self.bot.database.archive.day_paper_count(day)
        status = schedule.describe_status(
            post.status, post.papers_sent, count, post.error, post.day
        )
        await interaction.followup.send(f"Posting in <#{server.channel_id}>: {status}")

    @post.autocomplete("date")
    async def post_date_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await day_choices(self.bot.catalog, current)


async def setup(bot: Paperboy) -> None:
    await bot.add_cog(Admin(bot))
