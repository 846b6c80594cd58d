"""Small pieces of English shared by every message the bot and the CLI write."""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 paper`, `87 papers`, `2 keywords`; `nouns` for irregular plurals."""
    if count == 1:
        return f"{count:,} {noun}"
    return f"{count:,} {nouns or noun + 's'}"
