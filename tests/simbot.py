"""Helpers for end-to-end tests: the real bot under SimCord, and what users saw."""

from __future__ import annotations

from dataclasses import dataclass, field

import discord
import simcord
from simcord.backend.models.interaction import ResponseKind

from bot import Settings, create_bot
from bot.client import Paperboy


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
