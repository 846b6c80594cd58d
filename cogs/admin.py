"""/setup and /post: a server admin picks the digest channel and posts a day on demand."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import posting, render
from bot.client import Paperboy
from bot.dates import nearest_days, parse_day_option
from bot.errors import UserError
from cogs.common import day_choices, user_errors

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


def require_manage_server(interaction: discord.Interaction) -> None:
    """Checked here too: a server owner can make these commands visible to anyone."""
    if interaction.guild is None:
        raise UserError("This command only works in a server.")
    if not interaction.permissions.manage_guild:
        raise UserError("You need the **Manage Server** permission to use this command.")


class Admin(commands.Cog):
    """Server settings for the daily post."""

    def __init__(self, bot: Paperboy) -> None:
        self.bot = bot

    @property
    def db(self):
        return self.bot.database

    @app_commands.command(name="setup", description="Choose the channel for daily papers")
    @app_commands.describe(channel="Where new days are posted (leave out to see the settings)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def setup(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        async with user_errors(interaction):
            require_manage_server(interaction)
            assert interaction.guild is not None
            if channel is None:
                await interaction.response.send_message(
                    await self._settings_text(interaction.guild), ephemeral=True
                )
                return
            await interaction.response.send_message(
                await self._configure(interaction, channel), ephemeral=True
            )

    async def _configure(
        self, interaction: discord.Interaction, channel: discord.TextChannel
    ) -> str:
        permissions = channel.permissions_for(channel.guild.me)
        missing = [name for flag, name in REQUIRED.items() if not getattr(permissions, flag)]
        if missing:
            raise UserError(
                f"I cannot post in {channel.mention}: I am missing **{', '.join(missing)}** "
                "there. Grant them to my role in the channel settings and run `/setup` again."
            )
        latest = await self.bot.database.latest_day()
        previous = await self.db.set_channel(
            channel.guild.id, channel.id, interaction.user.id, latest
        )
        lines = [
            f"Daily papers will be posted in {channel.mention}"
            + (f" (moved from <#{previous.channel_id}>)." if previous else ".")
        ]
        if latest:
            count = await self.db.day_paper_count(latest)
            lines.append(f"Latest day available: {render.format_day(latest)} ({count} papers).")
        lines.append(
            "New days will be posted as they arrive; `/post` posts a day now "
            "(days already available are not posted automatically)."
        )
        no_threads = [name for flag, name in FOR_THREADS.items() if not getattr(permissions, flag)]
        if no_threads:
            lines.append(
                f"Note: without **{', '.join(no_threads)}** I will post the papers in the "
                "channel itself instead of a thread for each day."
            )
        return "\n".join(lines)

    async def _settings_text(self, guild: discord.Guild) -> str:
        server = await self.db.guild_channel(guild.id)
        if server is None:
            return "No digest channel yet. Run `/setup channel:#your-channel` to choose one."
        lines = [f"Daily papers go to <#{server.channel_id}>."]
        if server.since_day:
            lines.append(f"Days after {render.short_day(server.since_day)} post automatically.")
        post = await self.db.latest_post(guild.id)
        if post is None:
            lines.append("Nothing posted yet.")
        else:
            count = await self.db.day_paper_count(post.day)
            status = posting.describe_status(
                post.status, post.papers_sent, count, post.error, post.day
            )
            lines.append(f"Last post: {status}")
        if server.last_error:
            retry = server.retry_after
            when = discord.utils.format_dt(retry, "R") if retry else "on the next pass"
            lines.append(f"Posting is failing: {server.last_error}. Next try {when}.")
        return "\n".join(lines)

    @app_commands.command(name="post", description="Post a day's papers now (admins)")
    @app_commands.describe(date="The day to post, e.g. 'Mar 14' (default: the latest)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def post(self, interaction: discord.Interaction, date: str | None = None) -> None:
        async with user_errors(interaction):
            require_manage_server(interaction)
            assert interaction.guild is not None
            server = await self.db.guild_channel(interaction.guild.id)
            if server is None:
                raise UserError("Choose a channel first with `/setup channel:#your-channel`.")
            day = await self._day(date)
            await interaction.response.defer(ephemeral=True, thinking=True)
            post = await self.db.request_post(
                server.guild_id, server.channel_id, day, interaction.user.id
            )
            post = await self.bot.publisher.post_now(post)
            count = await self.db.day_paper_count(day)
            status = posting.describe_status(
                post.status, post.papers_sent, count, post.error, post.day
            )
            await interaction.followup.send(f"Posting in <#{server.channel_id}>: {status}")

    @post.autocomplete("date")
    async def post_date_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await day_choices(self.bot.catalog, current)

    async def _day(self, date: str | None):
        known = [summary.day for summary in await self.bot.catalog.known_days()]
        if not known:
            raise UserError("No digests are loaded yet, so there is nothing to post.")
        if date is None:
            return known[0]
        day = parse_day_option(date)
        if day is None:
            raise UserError(f"“{render.safe_clip(date, 50)}” is not a date. Try `Mar 14`.")
        if day not in known:
            near = ", ".join(render.short_day(d) for d in nearest_days(day, known))
            raise UserError(f"No digest for {render.short_day(day)}. Nearest days: {near}.")
        return day


async def setup(bot: Paperboy) -> None:
    await bot.add_cog(Admin(bot))
