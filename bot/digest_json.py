"""Parse a Hugging Face Daily Papers day saved as JSON into a `ParsedDigest`.

The file is what `bot.hub` writes, `{"day", "source", "fetched_at", "items": [...]}`,
or the API's bare array. Items are taken as the Hub serves them: any field may be
missing, null or of another type, and unknown fields are ignored. A bad item is
reported by its index (from 0) and skipped; every other item loads.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from bot.digest import (
    MAX_FILE_BYTES,
    Link,
    PaperMeta,
    ParsedDigest,
    ParsedPaper,
    Problem,
    content_hash,
    date_from_name,
    extract_links,
    trim_url,
)

# New style (2007 on): YYMM.NNNN until 2014, YYMM.NNNNN since; old style: archive/YYMMNNN.
_NEW_ID = re.compile(r"(\d{2})(\d{2})\.(\d{4,5})(?:v\d{1,3})?")
_OLD_ID = re.compile(r"([a-z][a-z-]{0,15}(?:\.[A-Za-z]{2})?)/(\d{2})(\d{2})(\d{3})(?:v\d{1,3})?")
_VERSION = re.compile(r"v\d+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_COUNT = 10**9  # upvotes, comments, stars: anything larger is not a count
_MAX_NAME_CHARS = 300
_MAX_KEYWORDS = 50


def parse_json(data: bytes, source: str) -> ParsedDigest:
    """Parse a JSON day held in memory; `source` names it in problems. Never raises."""
    if len(data) > MAX_FILE_BYTES:
        return _failed(source, f"file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,}")
    digest = ParsedDigest(source, None, content_hash=content_hash(data))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        digest.problems.append(Problem(source, line, "invalid UTF-8; the bad bytes were replaced"))
        text = data.decode("utf-8-sig", errors="replace")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        digest.problems.append(Problem(source, error.lineno, f"invalid JSON: {error.msg}"))
        return digest
    except (ValueError, RecursionError) as error:  # a huge number; nesting too deep
        digest.problems.append(Problem(source, None, f"invalid JSON: {_first_line(error)}"))
        return digest
    items = _items(document, digest)
    if items is None:
        return digest
    digest.day = _day(document, items, digest)
    if isinstance(document, dict):
        digest.fetched_at = _moment(document.get("fetched_at"))
    for index, item in enumerate(items):
        paper = parse_item(item, index, digest)
        if paper is not None:
            digest.papers.append(paper)
    return digest


def _failed(source: str, message: str) -> ParsedDigest:
    return ParsedDigest(source, None, problems=[Problem(source, None, message)])


def _first_line(error: BaseException) -> str:
    return (str(error) or type(error).__name__).splitlines()[0][:200]


def _items(document: object, digest: ParsedDigest) -> list[Any] | None:
    """The item list of a wrapped day or a bare array; None (reported) when there is none."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        items = document.get("items")
        if isinstance(items, list):
            return items
        digest.problems.append(Problem(digest.source, None, "no list of papers under 'items'"))
        return None
    digest.problems.append(
        Problem(digest.source, None, "not a Hub day: expected an object with 'items' or a list")
    )
    return None


def _day(document: object, items: list[Any], digest: ParsedDigest) -> dt.date | None:
    """The file's `day`, else the date in its name, else the items' submission day."""
    if isinstance(document, dict):
        day = _date(document.get("day"))
        if day is not None:
            return day
        if "day" in document:
            hint = f"'day' is not a YYYY-MM-DD date: {str(document['day'])[:40]!r}"
        else:
            hint = "no 'day'"
    else:
        hint = ""
    day = date_from_name(digest.source)
    origin = "the date in the file name"
    if day is None:
        day = _submission_day(items)
        origin = "the papers' submission day"
    if day is None:
        message = "no day: not in the file, its name, or its papers"
        message = f"{hint}; {message}" if hint else message
        digest.problems.append(Problem(digest.source, None, message))
    elif hint:
        digest.problems.append(Problem(digest.source, None, f"{hint}; used {origin}"))
    return day


def _submission_day(items: list[Any]) -> dt.date | None:
    for item in items:
        paper = item.get("paper") if isinstance(item, dict) else None
        if isinstance(paper, dict) and (day := _date(paper.get("submittedOnDailyAt"))):
            return day
    return None


def parse_item(item: object, index: int, digest: ParsedDigest) -> ParsedPaper | None:
    """One API item as a paper; None (with a problem naming `index`) when it has none."""

    def problem(message: str) -> None:
        digest.problems.append(Problem(digest.source, None, message, item=index))

    if not isinstance(item, dict):
        problem(f"not an object but {_kind(item)}")
        return None
    paper = item.get("paper")
    if paper is None:
        paper = {}
    elif not isinstance(paper, dict):
        problem(f"'paper' is {_kind(paper)}, not an object; used the item's own fields")
        paper = {}
    title = _text(_first(item.get("title"), paper.get("title")))
    if not title:
        problem("no title")
        return None
    abstract = _text(_first(item.get("summary"), paper.get("summary")))
    if not abstract:
        problem(f"no abstract: {title[:80]!r}")
        return None
    meta = _meta(item, paper, problem)
    return ParsedPaper(title, abstract, _links(meta, abstract), None, meta, index)


def _first(*values: object) -> object:
    """The first value that is a non-blank string, else the first that is not None."""
    for value in values:
        if isinstance(value, str) and value.strip():
            return value
    return next((value for value in values if value is not None), None)


def _meta(item: dict[str, Any], paper: dict[str, Any], problem: Callable[[str], None]) -> PaperMeta:
    raw_id = paper.get("id")
    arxiv_id = arxiv_id_of(raw_id)
    if raw_id is not None and arxiv_id is None:
        problem(f"not an arXiv id, left out: {str(raw_id)[:40]!r}")
    authors = paper.get("authors")
    if authors is not None and not isinstance(authors, list):
        problem(f"'authors' is {_kind(authors)}, not a list; left out")
        authors = None
    return PaperMeta(
        arxiv_id=arxiv_id,
        authors=_authors(authors or ()),
        upvotes=_count(paper.get("upvotes")),
        comments=_count(item.get("numComments")),
        github_url=_web_url(paper.get("githubRepo")),
        github_stars=_count(paper.get("githubStars")),
        project_url=_web_url(paper.get("projectPage")),
        ai_summary=_text(paper.get("ai_summary")) or None,
        ai_keywords=_keywords(paper.get("ai_keywords")),
        organization=_organization(_first(paper.get("organization"), item.get("organization"))),
        published_on=_date(paper.get("publishedAt")),
    )


def arxiv_id_of(value: object) -> str | None:
    """`2405.04682` (a version suffix dropped) or `cs/0112017`; None for anything else."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if match := _NEW_ID.fullmatch(value):
        year, month, number = match.groups()
        # Four-digit numbers until 1412, five from 1501; the scheme began in 0704.
        long_numbers = (int(year), int(month)) >= (15, 1)
        valid = 1 <= int(month) <= 12 and (int(year), int(month)) >= (7, 4)
        if valid and (len(number) == 5) == long_numbers:
            return _VERSION.sub("", value)
    elif (match := _OLD_ID.fullmatch(value)) and 1 <= int(match.group(3)) <= 12:
        return _VERSION.sub("", value)
    return None


def _authors(authors: Iterable[object]) -> tuple[str, ...]:
    names: list[str] = []
    for author in authors:
        if isinstance(author, dict):
            if author.get("hidden") is True:
                continue
            name = _text(author.get("name"))
        else:
            name = _text(author)  # a bare name is accepted too
        if name and len(name) <= _MAX_NAME_CHARS:
            names.append(name)
    return tuple(names)


def _keywords(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    seen: dict[str, str] = {}
    for keyword in value:
        word = _text(keyword)
        if word and len(word) <= _MAX_NAME_CHARS:
            seen.setdefault(word.casefold(), word)
    return tuple(seen.values())[:_MAX_KEYWORDS]


def _organization(value: object) -> str | None:
    if isinstance(value, Mapping):
        value = _first(value.get("fullname"), value.get("name"))
    name = _text(value)
    return name if name and len(name) <= _MAX_NAME_CHARS else None


def _text(value: object) -> str:
    """A string with line breaks, control characters and runs of spaces made one space;
    "" for anything that is not a string (a number is not a title)."""
    if not isinstance(value, str):
        return ""
    spaced = " ".join(value.split())  # line breaks and tabs are whitespace already
    if spaced.isprintable():  # the usual case: no control character left to replace
        return spaced
    return " ".join(_CONTROL.sub(" ", spaced).split())


def _count(value: object) -> int | None:
    """A non-negative count; a digit string like "12" is read, anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip()[:10])
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and 0 <= value < _MAX_COUNT else None


def _date(value: object) -> dt.date | None:
    """The day of `2026-03-14` or `2026-03-14T09:41:00.000Z` (UTC); None otherwise."""
    moment = _moment(value)
    return moment.date() if moment else None


def _moment(value: object) -> dt.datetime | None:
    """An aware UTC datetime from ISO text (naive taken as UTC); None otherwise."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _web_url(value: object) -> str | None:
    """An http(s) URL with a host, trimmed like a URL in an abstract; None otherwise."""
    if not isinstance(value, str):
        return None
    url = trim_url(value.strip())
    if not url or any(char.isspace() or char in "<>\"'`" for char in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def _links(meta: PaperMeta, abstract: str) -> tuple[Link, ...]:
    """The code repository, the project page, then the abstract's URLs: each once."""
    found = [Link(meta.github_url, "code")] if meta.github_url else []
    if meta.project_url:
        found.append(Link(meta.project_url, "project"))
    found.extend(extract_links(abstract))
    unique: dict[str, Link] = {}
    for link in found:
        unique.setdefault(link_key(link.url), link)
    return tuple(unique.values())


def link_key(url: str) -> str:
    """What two URLs of one page share: the host without `www.`, the path without a
    trailing `/` or `.git` (case folded on code hosts), the query; not the scheme."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/").removesuffix(".git").rstrip("/")
    if host in ("github.com", "gitlab.com", "huggingface.co"):
        path = path.lower()  # repository names are case-insensitive there
    return f"{host}{path}?{parts.query}" if parts.query else f"{host}{path}"


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if isinstance(value, int | float) else "unknown")
