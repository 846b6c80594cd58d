"""`paperboy run`: logging, the bot's lifetime, and a clean shutdown on Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import discord

from bot.client import create_bot
from bot.config import Settings

log = logging.getLogger("paperboy")


class RedactingFilter(logging.Filter):
    """Replaces the token wherever it would appear in a log record."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secret:
            message = record.getMessage()
            if self.secret in message:
                record.msg, record.args = message.replace(self.secret, "[token]"), None
            if record.exc_info and self.secret in logging.Formatter().formatException(
                record.exc_info
            ):
                record.exc_text = (
                    logging.Formatter()
                    .formatException(record.exc_info)
                    .replace(self.secret, "[token]")
                )
                record.exc_info = None
                record.msg = f"{record.msg}\n{record.exc_text}"
        return True


def setup_logging(settings: Settings) -> logging.Handler:
    handler = logging.StreamHandler()
    discord.utils.setup_logging(handler=handler, level=getattr(logging, settings.log_level))
    if settings.token:
        handler.addFilter(RedactingFilter(settings.token))
    return handler


def run(settings: Settings) -> int:
    setup_logging(settings)
    try:
        asyncio.run(_serve(settings))
    except discord.LoginFailure:
        log.error("Discord rejected DISCORD_TOKEN; check it in the developer portal")
        return 2
    except KeyboardInterrupt:
        pass
    return 0


async def _serve(settings: Settings) -> None:
    assert settings.token
    bot = create_bot(settings)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with bot:
        runner = asyncio.create_task(bot.start(settings.token))
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            runner.result()  # re-raise a login failure or crash
        log.info("shutting down")
        stopper.cancel()
    # `async with bot` closed the bot, its loops and its database.
