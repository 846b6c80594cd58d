"""The background loop: every `poll_seconds`, the bot's pass (ingest, publish, tidy)."""

from __future__ import annotations

import logging

from discord.ext import commands, tasks

from bot.client import Paperboy

log = logging.getLogger(__name__)


class Poller(commands.Cog):
    """Runs `Paperboy.run_pass` on a timer; errors are logged and never stop it."""

    def __init__(self, bot: Paperboy) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.poll.change_interval(seconds=self.bot.settings.poll_seconds)
        self.poll.start()

    async def cog_unload(self) -> None:
        self.poll.cancel()
        self.bot.publisher.stop()

    @tasks.loop(seconds=600)
    async def poll(self) -> None:
        try:
            await self.bot.run_pass()
        except Exception:  # run_pass handles its steps' faults; this keeps the loop alive
            log.exception("digest pass failed; trying again next time")

    @poll.before_loop
    async def wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()


async def setup(bot: Paperboy) -> None:
    await bot.add_cog(Poller(bot))
