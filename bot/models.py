"""Plain values passed between storage, the rules and the cogs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.digest import Link


@dataclass(frozen=True)
class Paper:
    id: int
    title: str
    abstract: str
    links: tuple[Link, ...] = ()
    days: tuple[dt.date, ...] = ()

    @property
    def code_url(self) -> str | None:
        return next((link.url for link in self.links if link.kind == "code"), None)

    @property
    def project_url(self) -> str | None:
        return next((link.url for link in self.links if link.kind == "project"), None)


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
