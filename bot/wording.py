"""Small pieces of English shared by every message the bot and the CLI write."""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 paper`, `87 papers`, `2 keywords`; `nouns` for irregular plurals."""
    if count == 1:
        return f"{count:,} {noun}"
    return f"{count:,} {nouns or noun + 's'}"


def no_match(query: str, note: str | None = None, random_command: str = "/random") -> str:
    """What a search that found nothing answers: `query` as it should be shown, and
    the note naming the words in no paper, if any."""
    return (
        f"No papers match “{query}”. "
        + (f"{note}. " if note else "")
        + f"Try fewer words, a synonym, or `{random_command}` for inspiration."
    )


def no_topic(topic: str) -> str:
    """What a random pick on a topic no paper is about answers."""
    return f"No paper is about “{topic}”. Try a broader topic."
