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
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bot import names, text
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
    terms: tuple[str, ...]  # for an author: the one token of the name (bot.names)
    exclude: tuple[str, ...] = ()
    kind: str = "keyword"  # or "author": a person followed by name

    @property
    def key(self) -> str:
        """The normalised keyword: two keywords with the same key are duplicates."""
        if self.kind == "author":
            return AUTHOR_PREFIX + self.terms[0]
        return " ".join(self.terms)

    @property
    def shown(self) -> str:
        """The label as alerts and lists show it: `diffusion`, `author: Yann LeCun`."""
        return f"author: {self.label}" if self.kind == "author" else self.label

    def describe(self) -> str:
        if not self.exclude:
            return self.shown
        return f"{self.shown} (not: {', '.join(self.exclude)})"


AUTHOR_PREFIX = "author:"  # begins the key of an author subscription (no term has a colon)


def keyword_key(typed: str) -> str:
    """The key of a keyword as typed (see `Keyword.key`): `Diffusion Models` and
    `diffusion model` have the same one; `author: Yann LeCun` is that author's."""
    label = " ".join(typed.split())
    if label.lower().startswith(AUTHOR_PREFIX):
        token = names.author_token(label[len(AUTHOR_PREFIX) :])
        return AUTHOR_PREFIX + token if token else ""
    return " ".join(text.terms(typed))


def _label(raw: str, exclude: str | None, what: str, example: str) -> str:
    """What a member typed to follow, spacing tidied; UserError when it is empty, too
    long, or holds a mention (in it or in its exclude words)."""
    label = " ".join(raw.split())
    if not label:
        raise UserError(f"Give {what} to follow, e.g. {example}.")
    if len(label) > MAX_KEYWORD_CHARS:
        raise UserError(
            f"{what[0].upper()}{what[1:]} can be at most {MAX_KEYWORD_CHARS} characters; "
            f"that one has {len(label)}."
        )
    if _MENTION.search(label) or (exclude and _MENTION.search(exclude)):
        raise UserError("What you follow cannot contain mentions like `@everyone` or `<@123>`.")
    return label


def parse_author(raw: str, exclude: str | None = None) -> Keyword:
    """Validate an author to follow (and exclude words); UserError says what is wrong."""
    label = _label(raw, exclude, "an author's name", "`Yann LeCun`")
    token = names.author_token(label)
    if not token:
        raise UserError("A name needs at least one letter, e.g. `Yann LeCun`.")
    return Keyword(label, (token,), parse_exclude(exclude), kind="author")


def parse_keyword(raw: str, exclude: str | None = None) -> Keyword:
    """Validate a keyword (and its exclude words) as typed; UserError says what is wrong."""
    label = _label(raw, exclude, "a keyword", "`diffusion` or `chain of thought`")
    terms = tuple(text.terms(label))
    if not terms:
        raise UserError("A keyword needs at least one letter or digit, e.g. `RLHF`.")
    if all(term in text.STOPWORDS or len(term) == 1 for term in terms):
        raise UserError(
            f"“{label}” would match nearly every paper: it has only common words or single "
            "letters. Pick a more specific word or phrase, e.g. `diffusion` or `RLHF`."
        )
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
    vocabulary: frozenset[str]
    authors: frozenset[str] = frozenset()  # name tokens (bot.names)

    @classmethod
    def of(cls, paper: Paper) -> PaperText:
        title, abstract = tuple(text.terms(paper.title)), tuple(text.terms(paper.abstract))
        authors = frozenset(filter(None, map(names.author_token, paper.meta.authors)))
        return cls(paper, title, abstract, frozenset(title) | frozenset(abstract), authors)


def matches(keyword: Keyword, paper: PaperText) -> bool:
    """Whether `paper` matches `keyword`: the definition every caller shares."""
    if set(keyword.exclude) & paper.vocabulary:
        return False
    if keyword.kind == "author":  # a whole name, never part of another
        return keyword.terms[0] in paper.authors
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


class KeywordIndex:
    """A server's subscriptions, arranged to find them in a day's text.

    Keywords form a trie of terms: walking each position of each paper through it
    costs the day's text times the (short) depth of the keywords found, however many
    subscriptions there are. Each keyword keeps its members grouped by exclude terms.
    """

    _END = ""  # marks a node where a keyword ends; terms are never empty

    def __init__(self, subscriptions: Iterable[tuple[str, str, int]] = ()) -> None:
        # term -> child node; a node holds _END -> the keyword key ending there.
        self._root: dict[str, Any] = {}
        self._members: dict[str, dict[str, set[int]]] = {}
        self._keywords_of: dict[int, dict[str, str]] = {}
        self._authors: set[str] = set()  # author keys: `author:yann_lecun`
        for key, exclude, user_id in subscriptions:
            self.add(key, exclude, user_id)

    def add(self, key: str, exclude: str, user_id: int) -> None:
        """Index one subscription: `key` and `exclude` are space-joined terms."""
        if key.startswith(AUTHOR_PREFIX):
            self._authors.add(key)
        elif key not in self._members:
            node = self._root
            for term in key.split():
                node = node.setdefault(term, {})
            node[self._END] = key
        self._members.setdefault(key, {}).setdefault(exclude, set()).add(user_id)
        self._keywords_of.setdefault(user_id, {})[key] = exclude

    def remove(self, key: str, user_id: int) -> None:
        """Forget a member's subscription to `key` (the trie keeps the key; harmless)."""
        for members in self._members.get(key, {}).values():
            members.discard(user_id)
        self._keywords_of.get(user_id, {}).pop(key, None)

    def keywords_of(self, user_id: int) -> dict[str, str]:
        """A member's keyword keys, each with its exclude terms."""
        return self._keywords_of.get(user_id, {})

    def groups(self, keys: Iterable[str]) -> Iterator[tuple[str, str, set[int]]]:
        """(key, exclude terms, members) for these keys, one per distinct exclude."""
        for key in keys:
            for exclude, members in self._members.get(key, {}).items():
                if members:
                    yield key, exclude, members

    def occurrences(self, papers: Sequence[PaperText]) -> dict[str, list[int]]:
        """keyword key -> indexes of the papers whose title or abstract contains it."""
        found: dict[str, list[int]] = {}
        root, end = self._root, self._END
        for position, paper in enumerate(papers):
            for field in (paper.title, paper.abstract):
                for start in range(len(field)):
                    node = root.get(field[start])
                    offset = start + 1
                    while node is not None:
                        key = node.get(end)
                        if key is not None:
                            places = found.setdefault(key, [])
                            if not places or places[-1] != position:
                                places.append(position)
                        node = node.get(field[offset]) if offset < len(field) else None
                        offset += 1
            for token in paper.authors:
                if (key := AUTHOR_PREFIX + token) in self._authors:
                    found.setdefault(key, []).append(position)
        return found


#: One member's hits for a day: (keyword key, indexes of the papers it matched).
Hits = list[tuple[str, list[int]]]


class DayMatch:
    """A day's papers matched against a server's subscriptions.

    `members` (who is alerted) is a union of the member sets of the keyword groups
    that matched, computed in C; each member's papers (`hits`) are worked out only
    when that member's alert is sent. Excluded papers are looked up once per exclude.
    """

    def __init__(self, index: KeywordIndex, papers: Sequence[PaperText]) -> None:
        self.index = index
        self.papers = papers
        self.occurrences = index.occurrences(papers)
        self._vetoes = _Vetoes(papers)
        self._exclude_terms: dict[str, frozenset[str]] = {}
        self.members: set[int] = set().union(
            *(
                members
                for key, exclude, members in index.groups(self.occurrences)
                if self._matches_any(key, exclude)
            )
        )

    def _matches_any(self, key: str, exclude: str) -> bool:
        """Whether any paper matches `key` without an `exclude` term (no list built).

        Stops at the first such paper, usually the first one looked at: cheaper than
        building the set of papers the excludes veto, as `positions` does.
        """
        if not exclude:
            return True  # `groups` only yields keys that occur
        excluded = self._exclude_terms.get(exclude)
        if excluded is None:
            excluded = self._exclude_terms[exclude] = frozenset(exclude.split())
        papers = self.papers
        return any(
            excluded.isdisjoint(papers[position].vocabulary)
            for position in self.occurrences.get(key, ())
        )

    def positions(self, key: str, exclude: str) -> list[int]:
        """Indexes of the papers matching `key` and not vetoed by `exclude`."""
        positions = self.occurrences.get(key, [])
        if exclude and (vetoed := self._vetoes[exclude]):
            positions = [position for position in positions if position not in vetoed]
        return positions

    def hits(self, user_id: int) -> Hits:
        """The member's matching keywords with the papers each matched."""
        return [
            (key, positions)
            for key, exclude in self.index.keywords_of(user_id).items()
            if (positions := self.positions(key, exclude))
        ]


class _Vetoes(dict[str, frozenset[int]]):
    """exclude terms -> indexes of the day's papers containing any of them (memoised)."""

    def __init__(self, papers: Sequence[PaperText]) -> None:
        super().__init__()
        self._papers = papers
        self._by_term: dict[str, set[int]] | None = None

    def __missing__(self, exclude: str) -> frozenset[int]:
        if self._by_term is None:
            self._by_term = defaultdict(set)
            for position, paper in enumerate(self._papers):
                for term in paper.vocabulary:
                    self._by_term[term].add(position)
        found = frozenset().union(*(self._by_term.get(term, ()) for term in exclude.split()))
        self[exclude] = found
        return found


def papers_for(hits: Hits) -> dict[int, list[str]]:
    """paper index -> keyword keys it matched, for one member's hits, in page order."""
    by_paper: dict[int, list[str]] = {}
    for key, positions in hits:
        for position in positions:
            by_paper.setdefault(position, []).append(key)
    return dict(sorted(by_paper.items()))
