"""Keyword subscriptions: validating keywords and deciding which papers match them.

The one definition, used by alerts, `/subscribe` previews and the tests: a keyword's
terms (bot.text.terms, so stemming and splitting are the same as search's) must occur
consecutively in the paper's title or in its abstract; no `exclude` term may occur in
either. So `chain of thought` matches "Chain-of-Thought", `agent` matches "agents",
and `RL` does not match "URL".

Deciding a day is proportional to the day's text and the keywords that occur in it:
each paper's n-grams are looked up in an index of keywords, never a loop over
subscriptions times papers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot import text
from bot.errors import UserError
from bot.models import Paper

MAX_KEYWORD_CHARS = 100
MAX_SUBSCRIPTIONS = 25
_MENTION = re.compile(r"@(everyone|here)\b|<[@#][!&]?\d+>", re.IGNORECASE)
_SEPARATORS = re.compile(r"[,;]")


@dataclass(frozen=True)
class Keyword:
    """A subscription's keyword as typed, with its terms and the terms that veto it."""

    label: str
    terms: tuple[str, ...]
    exclude: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The normalised keyword: two keywords with the same key are duplicates."""
        return " ".join(self.terms)

    def describe(self) -> str:
        if not self.exclude:
            return self.label
        return f"{self.label} (not: {', '.join(self.exclude)})"


def parse_keyword(raw: str, exclude: str | None = None) -> Keyword:
    """Validate a keyword (and its exclude words) as typed; UserError says what is wrong."""
    label = " ".join(raw.split())
    if not label:
        raise UserError("Give a keyword to follow, e.g. `diffusion` or `chain of thought`.")
    if len(label) > MAX_KEYWORD_CHARS:
        raise UserError(
            f"A keyword can be at most {MAX_KEYWORD_CHARS} characters; that one has {len(label)}."
        )
    if _MENTION.search(label) or (exclude and _MENTION.search(exclude)):
        raise UserError("Keywords cannot contain mentions like `@everyone` or `<@123>`.")
    terms = tuple(text.terms(label))
    if not terms:
        raise UserError("A keyword needs at least one letter or digit, e.g. `RLHF`.")
    excluded = parse_exclude(exclude)
    if set(excluded) & set(terms):
        raise UserError("The exclude words cannot include the keyword itself.")
    return Keyword(label, terms, excluded)


def parse_exclude(raw: str | None) -> tuple[str, ...]:
    """Exclude words, separated by spaces or commas; each one vetoes a match."""
    if raw is None or not raw.strip():
        return ()
    if len(raw) > MAX_KEYWORD_CHARS:
        raise UserError(f"Exclude words can be at most {MAX_KEYWORD_CHARS} characters.")
    terms = tuple(dict.fromkeys(text.terms(_SEPARATORS.sub(" ", raw))))
    if not terms:
        raise UserError("Exclude needs at least one word with a letter or digit, e.g. `audio`.")
    return terms


@dataclass(frozen=True)
class PaperText:
    """A paper cut into terms once, for matching against many keywords."""

    paper: Paper
    title: tuple[str, ...]
    abstract: tuple[str, ...]

    @classmethod
    def of(cls, paper: Paper) -> PaperText:
        return cls(paper, tuple(text.terms(paper.title)), tuple(text.terms(paper.abstract)))

    @property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(self.title) | frozenset(self.abstract)

    def phrases(self, max_terms: int) -> set[str]:
        """Every run of 1..max_terms consecutive terms within the title or the abstract."""
        found: set[str] = set()
        for field in (self.title, self.abstract):
            for start in range(len(field)):
                for length in range(1, min(max_terms, len(field) - start) + 1):
                    found.add(" ".join(field[start : start + length]))
        return found


def matches(keyword: Keyword, paper: PaperText) -> bool:
    """Whether `paper` matches `keyword`: the definition every caller shares."""
    if set(keyword.exclude) & paper.vocabulary:
        return False
    size = len(keyword.terms)
    return any(
        field[start : start + size] == keyword.terms
        for field in (paper.title, paper.abstract)
        for start in range(len(field) - size + 1)
    )


@dataclass(frozen=True)
class Subscription:
    id: int
    guild_id: int
    user_id: int
    keyword: Keyword


def day_phrases(papers: Sequence[PaperText], max_terms: int) -> dict[str, list[int]]:
    """phrase -> indexes of the papers containing it: what to look subscriptions up by."""
    index: dict[str, list[int]] = {}
    for position, paper in enumerate(papers):
        for phrase in paper.phrases(max_terms):
            index.setdefault(phrase, []).append(position)
    return index


def alerts_for_day(
    papers: Sequence[PaperText],
    phrases: dict[str, list[int]],
    subscriptions: Iterable[Subscription],
) -> dict[int, dict[int, list[str]]]:
    """user id -> {paper id -> keyword labels it matched}, for subscriptions found by phrase.

    `subscriptions` are those whose key occurs in `phrases`; excludes are applied here.
    """
    alerts: dict[int, dict[int, list[str]]] = {}
    for subscription in subscriptions:
        keyword = subscription.keyword
        for position in phrases.get(keyword.key, ()):
            paper = papers[position]
            if set(keyword.exclude) & paper.vocabulary:
                continue
            labels = alerts.setdefault(subscription.user_id, {}).setdefault(paper.paper.id, [])
            if keyword.label not in labels:
                labels.append(keyword.label)
    return alerts
