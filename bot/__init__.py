"""paperboy: daily ML paper digests in Discord."""

from bot.config import Settings

__all__ = ["Settings", "create_bot"]


def __getattr__(name: str):  # the offline CLI and pure modules need no discord import
    if name == "create_bot":
        from bot.client import create_bot

        return create_bot
    raise AttributeError(name)
