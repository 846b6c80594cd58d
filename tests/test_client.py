"""The bot's lifetime: the create_bot seam, extensions, command sync, and close()."""

from __future__ import annotations

import datetime as dt

import pytest
import simcord

from bot import client as client_module
from bot.client import create_bot
from bot.config import Settings
from tests.simbot import run_bot


def command_syncs(env: simcord.Env) -> list[str]:
    return [r.path for r in env.http_requests if r.method == "PUT" and r.path.endswith("/commands")]


async def test_the_documented_seam_works_without_a_digest_folder(tmp_path):
    bot = create_bot(
        Settings(database=tmp_path / "p.db", digest_dir=tmp_path / "digests", poll_seconds=60)
    )
    try:
        async with run_bot(bot) as env:
            guild = env.create_guild("G")
            channel = guild.create_text_channel("general")
            member = guild.add_member(env.create_user("m"))
            result = await member.slash(channel, "digest")
            assert result.ephemeral and "No digests" in result.response.content
    finally:
        await bot.close()


async def test_close_stops_the_loop_and_closes_the_database(tmp_path, seeds_dir):
    bot = create_bot(Settings(database=tmp_path / "p.db", digest_dir=seeds_dir))
    async with run_bot(bot):
        posting = bot.get_cog("Poller")
        assert posting.poll.is_running()
    await bot.close()
    assert not bot.started
    assert not posting.poll.is_running()


async def test_unchanged_commands_are_not_synced_again(sim, seeds_dir):
    assert len(command_syncs(sim.env)) == 1
    await sim.restart()
    assert len(command_syncs(sim.env)) == 1  # same definitions: no sync on restart
    guild = sim.env.create_guild("G")
    channel = guild.create_text_channel("general")
    result = await guild.add_member(sim.env.create_user("m")).slash(channel, "random")
    assert result.response.embeds


async def test_dev_guild_setting_syncs_to_that_server_only(tmp_path, seeds_dir):
    guild_id = 987654321012345678
    bot = create_bot(
        Settings(database=tmp_path / "p.db", digest_dir=seeds_dir, dev_guild_id=guild_id)
    )
    env = simcord.Env(bot)
    guild = env.create_guild("Dev", id=guild_id)
    await env.start()
    try:
        assert command_syncs(env) == [
            f"/applications/{bot.application_id}/guilds/{guild_id}/commands"
        ]
        channel = guild.create_text_channel("general")
        result = await guild.add_member(env.create_user("m")).slash(channel, "random")
        assert result.response.embeds
    finally:
        await env.shutdown()
        await bot.close()


async def test_one_failing_extension_does_not_stop_the_others(tmp_path, seeds_dir, monkeypatch):
    monkeypatch.setattr(
        client_module, "EXTENSIONS", ("cogs.does_not_exist", *client_module.EXTENSIONS)
    )
    bot = create_bot(Settings(database=tmp_path / "p.db", digest_dir=seeds_dir))
    try:
        async with run_bot(bot):
            assert list(bot.failed_extensions) == ["cogs.does_not_exist"]
            assert {"Papers", "Poller", "Subscriptions", "Admin"} <= set(bot.cogs)
    finally:
        await bot.close()


async def test_simcord_starts_its_clock_after_the_test_days(sim) -> None:
    import discord

    from tests.conftest import SIM_START

    assert abs((discord.utils.utcnow() - SIM_START).total_seconds()) < 60


@pytest.mark.sim_start(dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC))
async def test_a_test_can_start_the_clock_elsewhere(sim) -> None:
    import discord

    assert discord.utils.utcnow().date() == dt.date(2026, 7, 1)
