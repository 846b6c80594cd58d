"""/setup and /post: a server admin picks the digest channel and posts a day on demand."""

from __future__ import annotations

import re

import discord
from discord import app_commands
from discord.ext import commands

from bot import render, schedule, server_settings, zones
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
    # To check, after a stop, what was sent before it, rather than send it twice.
    "read_message_history": "Read Message History",
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

    @app_commands.command(name="setup", description="Daily papers: the channel and how they post")
    @app_commands.describe(
        channel="Where new days are posted (with no options: show the settings)",
        time="Local time to post each day, HH:MM (24-hour), or now: as soon as a day is ready",
        timezone="The time zone of that time, e.g. Europe/Berlin (default UTC)",
        top="How many papers a post shows, most upvoted first: 1 to 100, or all",
        ping="A role the day's header mentions, or none",
        paused="True: no automatic posts (days arriving meanwhile are skipped); False: resume",
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def setup(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        time: app_commands.Range[str, 1, 10] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        top: app_commands.Range[str, 1, 5] | None = None,
        ping: app_commands.Range[str, 1, 100] | None = None,
        paused: bool | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None  # guild_only
        server = await self.bot.database.posts.guild_channel(guild.id)
        where = channel or (guild.get_channel(server.channel_id) if server else None)
        role_id = None if ping is None else _ping_role(guild, ping, where)
        typed = server_settings.Typed(time, timezone, top, role_id, paused)
        changes = server_settings.parse(typed)  # every value checked before any is stored
        if channel is None and not typed.any:
            reply = await self._settings_text(guild)
        elif channel is None and server is None:
            raise UserError(f"Choose a channel first: {NO_CHANNEL.split('. ', 1)[1]}")
        else:
            # A change waits for the server's posting to pause: defer, it may take a while.
            await interaction.response.defer(ephemeral=True, thinking=True)
            async with self.bot.publisher.turn(guild.id):
                reply = await self._change(interaction.user.id, guild, channel, changes)
            await interaction.followup.send(render.clip(reply, render.CONTENT_LIMIT))
            return
        await interaction.response.send_message(
            render.clip(reply, render.CONTENT_LIMIT), ephemeral=True
        )

    async def _change(
        self,
        user_id: int,
        guild: discord.Guild,
        channel: discord.TextChannel | None,
        changes: server_settings.Changes,
    ) -> str:
        """Point the server at `channel` (if given) and store the changed settings."""
        lines = [await self._configure(user_id, channel)] if channel else []
        server = await self.bot.database.posts.guild_channel(guild.id)
        assert server is not None
        updated = await server_settings.apply(
            self.bot.database, server, changes, discord.utils.utcnow()
        )
        if changes.values:
            lines += ["Settings saved:", *server_settings.describe(updated)]
        return "\n".join(lines)

    @setup.autocomplete("timezone")
    async def timezone_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=zone, value=zone) for zone in zones.zone_choices(current)]

    @setup.autocomplete("ping")
    async def ping_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        guild = interaction.guild
        needle = current.strip().lower().lstrip("@")
        roles = [] if guild is None else [r for r in guild.roles if not r.is_default()]
        choices = [app_commands.Choice(name="none (no role)", value="none")]
        choices += [
            app_commands.Choice(name=render.choice_name(f"@{role.name}"), value=str(role.id))
            for role in sorted(roles, key=lambda r: -r.position)
            if needle in role.name.lower()
        ]
        return choices[:25]

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
        """Everything /setup with no options shows: settings, posts, what is failing."""
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
        requested = await posts.request(
            server.guild_id, server.channel_id, day, interaction.user.id
        )
        post = await self.bot.publisher.post_now(requested.id) or requested
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


def _ping_role(guild: discord.Guild, typed: str, channel: discord.abc.GuildChannel | None) -> int:
    """The role `/setup ping:` names (its id; 0 for `none`). Refuses @everyone, and a
    role the bot cannot mention in the digest channel, saying why."""
    text = typed.strip()
    if text.lower() == "none":
        return 0
    if text.lower().lstrip("@") in ("everyone", "here"):
        raise UserError("I never ping @everyone or @here. Pick a role members join, or `none`.")
    match = re.fullmatch(r"<@&(\d+)>|(\d+)", text)
    role_id = int(match.group(1) or match.group(2)) if match else None
    role = guild.get_role(role_id) if role_id else None
    if role is None:
        name = text.lower()
        role = next((r for r in guild.roles if r.name.lower() in (name, "@" + name)), None)
    if role is None:
        raise UserError("No such role here. Pick one from the suggestions, or `none`.")
    if role.is_default() or role.name in ("@everyone", "@here"):
        raise UserError("I never ping @everyone or @here. Pick a role members join, or `none`.")
    can_ping_any = channel is not None and channel.permissions_for(guild.me).mention_everyone
    if not (role.mentionable or can_ping_any):
        raise UserError(
            f"I cannot mention @{render.safe(role.name)}: it is not mentionable and I lack "
            "**Mention @everyone, @here and All Roles** there. Make the role mentionable "
            "(Server Settings → Roles) or pick another."
        )
    return role.id
