"""Keyword subscriptions in every server, and which members a new day alerts.

The server's subscriptions are kept as a `KeywordIndex` (built on first use, then kept
in step with every change made here), so deciding a day's alerts never reads every
subscription from the database.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Sequence

from bot import alert_text, matching
from bot.alert_text import AlertPaper
from bot.errors import UserError
from bot.matching import DayMatch, Hits, Keyword, KeywordIndex, PaperText, Subscription
from bot.models import Paper, Post, Subscribed
from bot.storage import Database
from bot.storage.subscriptions import ALERT_PLACES

#: One line of a member's alert: a paper, with the labels of the keywords it matched.
AlertLine = tuple[Paper, list[str]]


class Alerts:
    """Subscribing, unsubscribing and deciding alerts, for every server."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._indexes: dict[int, KeywordIndex] = {}

    async def subscribe(self, guild_id: int, user_id: int, keyword: Keyword) -> Subscribed:
        """Follow `keyword`, unless the member does already or follows the most allowed."""
        outcome = await self.db.subscriptions.add(
            guild_id, user_id, keyword, matching.MAX_SUBSCRIPTIONS
        )
        if outcome is Subscribed.ADDED and (index := self._indexes.get(guild_id)) is not None:
            index.add(keyword.key, " ".join(keyword.exclude), user_id)
        return outcome

    async def unsubscribe(self, guild_id: int, user_id: int, typed: str) -> bool:
        """Stop following the keyword typed (any spelling with the same key), or the
        author typed as `author: Name`."""
        key = matching.keyword_key(typed)
        if not key or not await self.db.subscriptions.remove(guild_id, user_id, key):
            return False
        if (index := self._indexes.get(guild_id)) is not None:
            index.remove(key, user_id)
        return True

    async def places(self, guild_id: int, user_ids: list[int]) -> dict[int, str]:
        """Where these members' alerts go: thread (the default), dm or off."""
        return await self.db.subscriptions.alerts_places(guild_id, user_ids)

    async def set_place(self, guild_id: int, user_id: int, place: str) -> None:
        """Send the member's alerts in this server to `place`: thread, dm or off."""
        if place not in ALERT_PLACES:
            raise UserError(f"Alerts go to one of: {', '.join(ALERT_PLACES)}.")
        await self.db.subscriptions.set_alerts_place(guild_id, user_id, place)

    async def note_direct_message(self, guild_id: int, user_id: int, failed_at: str | None) -> None:
        """A direct message to the member failed (at `failed_at`) or went through (None)."""
        await self.db.subscriptions.note_dm(guild_id, user_id, failed_at)

    async def settings_of(self, guild_id: int, user_id: int) -> tuple[str, str | None]:
        """(where the member's alerts go, when a direct message to them last failed)."""
        return await self.db.subscriptions.alert_settings(guild_id, user_id)

    async def of_member(self, guild_id: int, user_id: int) -> list[Subscription]:
        return await self.db.subscriptions.of_member(guild_id, user_id)

    async def keyword_index(self, guild_id: int) -> KeywordIndex:
        """The server's subscriptions as a KeywordIndex: read once, then kept in step."""
        index = self._indexes.get(guild_id)
        if index is None:
            index = KeywordIndex(await self.db.subscriptions.keyword_rows(guild_id))
            self._indexes[guild_id] = index
            # Long-lived and large: keep the cyclic GC from re-scanning it on every
            # full collection (measured: 100 ms pauses in alert decisions otherwise).
            gc.freeze()
        return index

    async def decide(self, guild_id: int, papers: Sequence[Paper]) -> DayMatch:
        """Which members' keywords match the day's papers (before dedup against sent alerts).

        Proportional to the day's text and the keyword groups that match: the server's
        keywords are found by walking its cached trie, and the members to alert are a
        union of the matching groups' member sets.
        """
        index = await self.keyword_index(guild_id)
        with _gc_paused():  # synchronous, acyclic allocations: no reason to pause for the GC
            return DayMatch(index, [PaperText.of(paper) for paper in papers])

    async def unsent(
        self, guild_id: int, user_id: int, papers: Sequence[Paper], hits: Hits
    ) -> list[AlertLine]:
        """The member's matching papers not yet alerted to them in this server, in page
        order, each with the labels of the keywords it matched."""
        matched = matching.papers_for(hits)
        sent = await self.db.subscriptions.already_alerted(
            guild_id, [user_id], [papers[index].id for index in matched]
        )
        pending = {i: keys for i, keys in matched.items() if (user_id, papers[i].id) not in sent}
        return await self._labelled(guild_id, user_id, papers, pending)

    async def post_matches(self, post: Post, user_id: int) -> list[AlertPaper]:
        """Every paper of a post's day that the member's subscriptions match, alerted or
        not, with its card in that post: what an alert's "See all" lists."""
        archive = self.db.archive
        papers = await archive.papers_by_ids(await archive.day_paper_ids(post.day))
        day = await self.decide(post.guild_id, papers)
        matched = matching.papers_for(day.hits(user_id))
        lines = await self._labelled(post.guild_id, user_id, papers, matched)
        # Cards are numbered in the post's order: a top N's differs from the day's.
        shown = post.paper_ids if post.paper_ids is not None else [p.id for p in papers]
        cards = await self.db.posts.card_messages(post.id)
        urls = {
            shown[index]: alert_text.card_url(post.guild_id, *where)
            for index, where in cards.items()
            if index < len(shown)
        }
        return [AlertPaper(paper, tuple(labels), urls.get(paper.id)) for paper, labels in lines]

    async def _labelled(
        self, guild_id: int, user_id: int, papers: Sequence[Paper], matched: dict[int, list[str]]
    ) -> list[AlertLine]:
        if not matched:
            return []
        labels = {
            sub.keyword.key: sub.keyword.shown for sub in await self.of_member(guild_id, user_id)
        }
        return [
            (papers[index], [labels.get(key, key) for key in keys])
            for index, keys in matched.items()
        ]


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector for a short CPU-bound step.

    Measured: full collections landing inside a 100k-subscription decision doubled
    its time. Nothing here awaits, and reference counting still frees everything.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
