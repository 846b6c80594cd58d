"""Plain values passed between storage, the rules, the cogs and the CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple

from bot.digest import Link, PaperMeta


@dataclass(frozen=True)
class Paper:
    id: int
    title: str
    abstract: str
    links: tuple[Link, ...] = ()
    days: tuple[dt.date, ...] = ()
    meta: PaperMeta = field(default_factory=PaperMeta)  # empty: known from text digests only

    @property
    def code_url(self) -> str | None:
        return next((link.url for link in self.links if link.kind == "code"), None)

    @property
    def project_url(self) -> str | None:
        return next((link.url for link in self.links if link.kind == "project"), None)


def distinct_key(title_key: str, arxiv_id: str) -> str:
    """The title key of a paper whose title another paper (another arXiv id) already
    has: no title folds to it, as title keys hold no brackets."""
    return f"{title_key} [{arxiv_id}]"


@dataclass(frozen=True)
class DaySummary:
    day: dt.date
    paper_count: int


@dataclass(frozen=True)
class IngestOutcome:
    """What one digest file did to the database."""

    day: dt.date | None
    new_papers: int = 0
    known_papers: int = 0
    added_to_day: int = 0
    already_ingested: bool = False
    new_title_keys: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class About:
    """What a paper is about: its focus terms as index text (bot.text.focus_terms: its
    title's terms, and those its abstract repeats) and the (acronym, expansion) pairs its
    abstract defines (bot.acronyms.definitions)."""

    focus_title: str
    focus_repeated: str
    acronyms: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class NewPaper:
    """A paper ready to store: display text plus its index form."""

    title_key: str
    title: str
    abstract: str
    links: tuple[Link, ...]
    index_title: str
    index_abstract: str
    # From a Hub day: its metadata (None for a text digest, which never changes what
    # is stored), and the author index text (bot.names.index_text).
    meta: PaperMeta | None = None
    index_authors: str = ""
    # The distinct terms of both, when prepare() was asked to keep them (a bot's new
    # day, whose terms go on to the vocabulary); splitting the index text again costs
    # more than keeping the stemmed words' sets.
    terms: frozenset[str] | None = None
    # What it is about, for the focus index and the acronym counts; None leaves both to
    # bot.catch_up, after posting (a single day's ingest does, to stay quick).
    about: About | None = None

    def vocabulary(self) -> frozenset[str]:
        """The distinct index terms of title and abstract."""
        if self.terms is not None:
            return self.terms
        return frozenset((*self.index_title.split(), *self.index_abstract.split()))


@dataclass(frozen=True)
class NewDigest:
    """One parsed digest file ready to store."""

    source: str
    day: dt.date
    content_hash: str
    papers: Sequence[NewPaper]
    file_signature: tuple[int, int] | None = None  # see digest.ParsedDigest
    fetched_at: dt.datetime | None = None  # a Hub day's fetch time: newer metadata wins


class TermCounts(NamedTuple):
    """How many papers hold each index term, counting papers up to id `upto`."""

    counts: dict[str, int]
    upto: int


@dataclass(frozen=True)
class GuildChannel:
    """Where a server's digests go, and how posting there has been going."""

    guild_id: int
    channel_id: int
    since_day: dt.date | None
    failures: int = 0
    retry_after: dt.datetime | None = None
    last_error: str | None = None
    post_time: dt.time | None = None  # local time days are posted at; None: at once
    timezone: str = "UTC"
    top: int | None = None  # how many papers a post shows, most upvoted first; None: all
    ping_role_id: int | None = None  # the role a day's header mentions
    paused: bool = False


@dataclass(frozen=True)
class Post:
    """One day's post in one server: how far it got."""

    id: int
    guild_id: int
    day: dt.date
    channel_id: int
    header_message_id: int | None
    thread_id: int | None
    target_id: int | None
    papers_sent: int
    status: str
    error: str | None
    sending: str | None = None  # the message slot in flight (see bot.sending.Slot)
    header_papers: int | None = None  # how many papers the header names
    due_at: dt.datetime | None = None  # when an automatic post may start; None: at once
    paper_ids: tuple[int, ...] | None = None  # the papers it shows (a top N); None: the day
    closing_papers: int | None = None  # what its last closing line counted; None: not sent


@dataclass(frozen=True)
class SkippedDay:
    """A day a server's automatic posts passed over: `reason` is `burst` (one of many
    days at once) or `late` (older than `newer_day`, already posted)."""

    day: dt.date
    reason: str
    newer_day: dt.date


class Subscribed(Enum):
    """What asking to follow a keyword did."""

    ADDED = "added"
    DUPLICATE = "duplicate"
    LIMIT = "limit"
