"""Helpers for end-to-end tests: the real bot under SimCord, and what users saw."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import discord
import simcord
from discord import app_commands
from simcord.backend.models.interaction import ResponseKind

from bot.client import Paperboy, create_bot
from bot.config import Settings
from bot.errors import UserError


@dataclass
class Sim:
    """A running SimCord environment with paperboy in it, and every bot it ran."""

    env: simcord.Env
    settings: Settings
    bots: list[Paperboy] = field(default_factory=list)

    @property
    def bot(self) -> Paperboy:
        return self.bots[-1]

    async def restart(self) -> Paperboy:
        """Start a fresh bot over the same database, as after a crash or redeploy."""
        new_bot = create_bot(self.settings)
        self.bots.append(new_bot)
        await self.env.restart_bot(new_bot)
        return new_bot


def is_answer(error: BaseException) -> bool:
    """Whether an error that reached the command tree is an expected answer: bad input
    or a refused permission, answered privately by the tree's handler.

    SimCord records every error the tree's handler sees; these are not failures.
    """
    original = getattr(error, "original", error)
    return isinstance(original, UserError) or isinstance(error, app_commands.MissingPermissions)


def raise_unexpected_errors(env: simcord.Env) -> None:
    """Fail with the bot's errors not yet acknowledged (by `simcord.assert_error` or
    an earlier call) other than expected answers; acknowledges them all."""
    fresh = env.errors_since(env._errors_acknowledged)  # SimCord 3.2 keeps no public cursor
    env.errors  # noqa: B018 - reading acknowledges every error so far
    unexpected = [error for error in fresh if not is_answer(error)]
    if unexpected:
        raise ExceptionGroup("the bot raised unexpected errors", unexpected)


@asynccontextmanager
async def run_bot(bot: Paperboy) -> AsyncIterator[simcord.Env]:
    """`simcord.run(bot)` that fails on unexpected errors only (see `is_answer`)."""
    async with simcord.run(bot) as env:
        try:
            yield env
        finally:
            raise_unexpected_errors(env)


def as_typed(bot: Paperboy, command: str, options: dict[str, str]) -> dict[str, str]:
    """Text options cut to the length the command's schema allows, as the Discord client
    cuts what a member types (longer values never reach the bot)."""
    found = bot.tree.get_command(command)
    assert isinstance(found, app_commands.Command)
    schema = found.to_dict(bot.tree)
    limits = {o["name"]: o["max_length"] for o in schema.get("options", []) if "max_length" in o}
    return {
        name: value[: limits[name]] if name in limits else value for name, value in options.items()
    }


def assert_all_answered(env: simcord.Env) -> None:
    """No interaction was left unanswered ("This interaction failed") or stuck thinking."""
    stuck = [
        interaction.command_name
        for interaction in env.backend.interactions.values()
        if not interaction.responded or interaction.response_kind == ResponseKind.DEFERRED
    ]
    assert stuck == [], f"interactions never answered: {stuck}"


def pings(env: simcord.Env, message: discord.Message) -> tuple[list[int], list[int], bool]:
    """(users pinged, roles pinged, @everyone pinged) for a message, as Discord resolved it."""
    stored = env.backend.get_message(message.channel.id, message.id)
    return list(stored.ping_user_ids), list(stored.ping_role_ids), bool(stored.mention_everyone)


def posted_bodies(env: simcord.Env) -> list[dict]:
    """Every JSON body the bot sent to Discord that could carry a mention."""
    return [
        request.json
        for request in env.http_requests
        if request.method in ("POST", "PATCH") and isinstance(request.json, dict)
    ]


def user_messages(channel) -> list[discord.Message]:
    """The channel's ordinary messages, without system messages such as thread-created."""
    return [m for m in channel.history() if m.type == discord.MessageType.default]


def all_pings(env: simcord.Env) -> list[tuple[str, list[int], list[int], bool]]:
    """Every stored message that pinged anyone: (content, users, roles, everyone)."""
    return [
        (
            message.content,
            list(message.ping_user_ids),
            list(message.ping_role_ids),
            bool(message.mention_everyone),
        )
        for channel in env.backend.messages.values()
        for message in channel.values()
        if message.ping_user_ids or message.ping_role_ids or message.mention_everyone
    ]


def fail_nth(monkeypatch, method: str, pattern: str, n: int, *, status: int = 500) -> dict:
    """Make only the n-th (1-based) REST call matching `method` and `pattern` fail.

    SimCord's public `inject_error` fails the next calls; this picks one in the
    middle. It patches SimCord's internal fault check (simcord 3.2).
    """
    import fnmatch

    from simcord.backend.errors import BackendError
    from simcord.http import router

    seen = {"count": 0}
    original = router._check_faults

    def check(backend, request_method, path):
        if request_method == method and fnmatch.fnmatch(path, pattern):
            seen["count"] += 1
            if seen["count"] == n:
                raise BackendError(status, 0, f"injected {status}")
        original(backend, request_method, path)

    monkeypatch.setattr(router, "_check_faults", check)
    return seen


def write_day(folder: Path, day: str, count: int, topic: str = "widgets") -> list[str]:
    """Write a digest file for `day` with `count` papers; returns their titles."""
    titles = [f"{topic.title()} Study {index}: Scaling {topic} {index}" for index in range(count)]
    abstract = (
        f"We study {topic} at scale. Our method improves results across many benchmarks. "
        "We release code and data for the community to build on. " * 5
    )
    write_papers(folder, day, [(title, abstract) for title in titles])
    return titles


def write_papers(folder: Path, day: str, papers: list[tuple[str, str]]) -> Path:
    """Write a digest file for `day` holding these (title, abstract) pairs."""
    blocks = [f"{title}\n\n{abstract}" for title, abstract in papers]
    text = f"new\n\nSubscribe\n\n{day}\n\n" + "\n\n".join(blocks) + "\n"
    path = folder / f"digest-{day.replace(' ', '-').replace(',', '')}.txt"
    path.write_text(text, encoding="utf-8")
    return path


def embed_titles(messages: list[discord.Message]) -> list[str]:
    """Paper titles in the order posted, with their "k. " rank stripped."""
    return [
        embed.title.split(". ", 1)[1]
        for message in messages
        for embed in message.embeds
        if embed.title
    ]


@dataclass
class Server:
    """A SimCord server with a channel and a member who has Manage Server."""

    guild: object
    channel: object
    admin: object


def add_server(env: simcord.Env, name: str, channel: str = "papers", admin: str = "ada") -> Server:
    guild = env.create_guild(name)
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    member = guild.add_member(env.create_user(admin), roles=[admins])
    return Server(guild, guild.create_text_channel(channel), member)


def setup_server(sim: Sim, name: str = "Research"):
    """Give `sim` a server with a `channel` and an `admin`; returns the server's guild."""
    server = add_server(sim.env, name)
    sim.guild, sim.channel, sim.admin = server.guild, server.channel, server.admin
    return server.guild
