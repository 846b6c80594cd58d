"""`paperboy run`: logging, the bot's lifetime, and a clean shutdown on Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import aiohttp
import discord

from bot.client import create_bot
from bot.config import Settings
from bot.storage import Database
from bot.storage.connection import DatabaseUnusable

log = logging.getLogger("paperboy")


class RedactingFormatter(logging.Formatter):
    """Formats as `inner` does, then blanks the token wherever it appears, tracebacks too."""

    def __init__(self, inner: logging.Formatter, secret: str) -> None:
        super().__init__()
        self.inner = inner
        self.secret = secret

    def format(self, record: logging.LogRecord) -> str:
        text = self.inner.format(record)
        return text.replace(self.secret, "[token]") if self.secret else text


def setup_logging(settings: Settings, handler: logging.Handler | None = None) -> logging.Handler:
    """discord.py's logging setup, at the configured level, never printing the token."""
    handler = handler or logging.StreamHandler()
    discord.utils.setup_logging(handler=handler, level=getattr(logging, settings.log_level))
    if settings.token:
        inner = handler.formatter or logging.Formatter()
        handler.setFormatter(RedactingFormatter(inner, settings.token))
    return handler


def run(settings: Settings) -> int:
    """Run the bot until Ctrl-C or SIGTERM; a failure to start is one clear log line."""
    setup_logging(settings)
    discord.VoiceClient.warn_nacl = False  # a text-only bot: no voice, no PyNaCl warning
    try:
        asyncio.run(_serve(settings))
    except discord.LoginFailure:
        log.error("Discord rejected DISCORD_TOKEN; check it in the developer portal")
        return 2
    except DatabaseUnusable as error:
        log.error("cannot start: %s", error)
        return 2
    except (aiohttp.ClientConnectionError, TimeoutError) as error:
        log.error(
            "cannot reach Discord (%s); check this machine's network and DNS, then start again",
            error or type(error).__name__,
        )
        return 2
    except KeyboardInterrupt:
        pass
    return 0


async def _serve(settings: Settings) -> None:
    assert settings.token
    # A database that cannot be used stops the bot before it connects to Discord.
    await (await Database.open(settings.database, settings.db_busy_timeout_ms)).close()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with create_bot(settings) as bot:  # closing closes the loops and the database
        runner = asyncio.create_task(bot.start(settings.token))
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if runner in done:
            runner.result()  # re-raise a login failure or a crash
            return
        log.info("shutting down")
        await bot.close()
        await runner
