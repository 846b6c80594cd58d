"""Parse "Daily Papers" digest dumps: a few header lines, a date line, title/abstract pairs.

Pure: no I/O beyond reading the one file in `parse_file`. Problems are collected with
their line numbers and every paper that parsed is kept. A `.json` file is a Hub day
(`bot.digest_json`), parsed into the same `ParsedDigest`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from urllib.parse import urlsplit

MAX_FILE_BYTES = 20 * 1024 * 1024

# A line longer than this, or with two sentence breaks, reads as an abstract.
_TITLE_MAX_CHARS = 300

_MONTHS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
}
_MONTHS["sept"] = 9
_MONTH_DAY = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?*'\"`"
# Only real line breaks: str.splitlines() would also split an abstract at U+2028, \x0c, \x85...
_LINE_BREAK = re.compile(r"\r\n?|\n")
_LINE_BREAK_BYTES = re.compile(rb"\r\n?|\n")
_BRACKETS = {")": "(", "]": "[", "}": "{", ">": "<"}
_CODE_HOSTS = (
    "github.com",
    "gitlab.com",
    "bitbucket.org",
    "codeberg.org",
    "huggingface.co",
    "sourceforge.net",
    "anonymous.4open.science",
)


@dataclass(frozen=True)
class Link:
    """A URL named in an abstract, classified as `code` or `project` page."""

    url: str
    kind: str


@dataclass(frozen=True)
class PaperMeta:
    """What a Hub day tells about a paper beyond its text; empty for text digests.

    `authors` are in the paper's order, hidden ones left out; `published_on` is the
    arXiv publication day.
    """

    arxiv_id: str | None = None
    authors: tuple[str, ...] = ()
    upvotes: int | None = None
    comments: int | None = None
    github_url: str | None = None
    github_stars: int | None = None
    project_url: str | None = None
    ai_summary: str | None = None
    ai_keywords: tuple[str, ...] = ()
    organization: str | None = None
    published_on: dt.date | None = None


@dataclass(frozen=True)
class ParsedPaper:
    """One paper of a digest: at `line` of a text digest, or `item` (from 0) of a JSON one."""

    title: str
    abstract: str
    links: tuple[Link, ...]
    line: int | None
    meta: PaperMeta = PaperMeta()
    item: int | None = None


@dataclass(frozen=True)
class Problem:
    """Something wrong in a digest file, at a line or JSON item when one can be named."""

    source: str
    line: int | None
    message: str
    item: int | None = field(default=None, kw_only=True)

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        if self.item is not None:
            where += f": item {self.item}"
        return f"{where}: {self.message}"


@dataclass
class ParsedDigest:
    source: str
    day: dt.date | None
    papers: list[ParsedPaper] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    content_hash: str = ""
    # (size, modification time in ns) of the file, taken before it was read.
    file_signature: tuple[int, int] | None = None
    # A problem already says why the day may have no papers (ingest adds none of its own).
    explained_empty: bool = False
    fetched_at: dt.datetime | None = None  # a Hub day's `fetched_at` (aware, UTC)


def parse_date(text: str, today: dt.date | None = None) -> dt.date | None:
    """Parse `Mar 13`, `March 13`, `Mar 13, 2026` or `2026-03-13`; None if not a date.

    Without a year, the most recent year in which that day is not in the future.
    """
    text = text.strip()
    today = today or dt.date.today()
    if match := _ISO_DATE.match(text):
        return _safe_date(*(int(part) for part in match.groups()))
    match = _MONTH_DAY.match(text)
    if not match:
        return None
    month = _MONTHS.get(match.group(1).lower())
    if month is None:
        return None
    day = int(match.group(2))
    if match.group(3):
        return _safe_date(int(match.group(3)), month, day)
    for year in range(today.year, today.year - 8, -1):  # 8 years always reaches a Feb 29
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate <= today:
            return candidate
    return None


def month_number(name: str) -> int | None:
    """1-12 for a month's name or abbreviation (`Mar`, `march`, `Sept`), else None."""
    return _MONTHS.get(name.lower().rstrip("."))


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def extract_links(text: str) -> tuple[Link, ...]:
    """Every URL in `text`, trimmed of trailing punctuation and stray brackets, in order."""
    links: dict[str, Link] = {}
    if "://" not in text:  # most abstracts: skip the (case-insensitive, so slow) scan
        return ()
    for raw in _URL.findall(text):
        url = trim_url(raw)
        if len(url) > len("https://") and url not in links:
            kind = classify_link(url)
            if kind is not None:
                links[url] = Link(url, kind)
    return tuple(links.values())


def trim_url(url: str) -> str:
    """`https://x.io/a{here}.` -> `https://x.io/a`; `https://aka.ms/orca-lm),` -> `...orca-lm`."""
    for stray in "{}|\\^":  # never valid in a URL: everything after is page text
        url = url.split(stray, 1)[0]
    while url:
        last = url[-1]
        if last in _URL_TRAILING or (
            last in _BRACKETS and url.count(_BRACKETS[last]) < url.count(last)
        ):
            url = url[:-1]
        else:
            break
    return url


def classify_link(url: str) -> str | None:
    """ "code" or "project"; None for text no URL parser accepts (`https://[`)."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None
    is_code = any(host == code or host.endswith("." + code) for code in _CODE_HOSTS)
    return "code" if is_code else "project"


def parse_file(path: Path, today: dt.date | None = None) -> ParsedDigest:
    """Read and parse one digest file, text or (by its `.json` suffix) JSON; never raises
    for bad content."""
    source = str(path)
    try:
        stat = path.stat()
        if not S_ISREG(stat.st_mode):  # a device or a pipe: no end, or no size to trust
            return _failed(source, "not a regular file; only digest files are read")
        if stat.st_size > MAX_FILE_BYTES:
            return _failed(
                source, f"file is {stat.st_size:,} bytes; the limit is {MAX_FILE_BYTES:,}"
            )
        with path.open("rb") as handle:  # never more than the limit, whatever stat said
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        return _failed(source, f"cannot read file: {error.strerror or error}")
    if path.suffix.lower() == ".json":
        from bot.digest_json import parse_json  # that module builds on this one

        parsed = parse_json(data, source)
    else:
        parsed = parse_bytes(data, source, today)
    parsed.file_signature = (stat.st_size, stat.st_mtime_ns)
    return parsed


def parse_bytes(data: bytes, source: str, today: dt.date | None = None) -> ParsedDigest:
    """Parse a digest held in memory; `source` names it in problems."""
    if len(data) > MAX_FILE_BYTES:
        return _failed(source, f"file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,}")
    if b"\x00" in data:
        line = _line_at(data, data.index(b"\x00"))
        return _failed(source, "binary file (contains NUL bytes); not a digest", line)
    problems: list[Problem] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = _line_at(data, error.start)
        problems.append(Problem(source, line, "invalid UTF-8; the bad bytes were replaced"))
        text = data.decode("utf-8-sig", errors="replace")
    digest = _parse_text(text, source, today or dt.date.today())
    digest.problems[:0] = problems
    digest.content_hash = content_hash(data)
    return digest


def content_hash(data: bytes) -> str:
    """The identity of a digest file's content: the same bytes are ingested once."""
    return hashlib.sha256(data).hexdigest()


def _line_at(data: bytes, offset: int) -> int:
    return len(_LINE_BREAK_BYTES.findall(data, 0, offset)) + 1


def _failed(source: str, message: str, line: int | None = None) -> ParsedDigest:
    return ParsedDigest(source, None, problems=[Problem(source, line, message)])


def _parse_text(text: str, source: str, today: dt.date) -> ParsedDigest:
    lines = [
        (number, line.strip())
        for number, line in enumerate(_LINE_BREAK.split(text), start=1)
        if line.strip()
    ]
    digest = ParsedDigest(source, None)
    if not lines:
        digest.problems.append(Problem(source, None, "empty file: no date line and no papers"))
        return digest
    body_start = 0
    for index, (_number, line) in enumerate(lines):
        if _looks_like_abstract(line):
            break  # the date comes before the first paper
        if (day := parse_date(line, today)) is not None:
            digest.day, body_start = day, index + 1
            break
    if digest.day is None:
        digest.day = date_from_name(source)
        hint = "; used the date in the file name" if digest.day else ""
        digest.problems.append(
            Problem(source, lines[0][0], f"no date line (like 'Mar 14') before the papers{hint}")
        )
        digest.explained_empty = True
        body_start = _first_title_index(lines)
    _pair_titles_and_abstracts(lines[body_start:], digest)
    return digest


def date_from_name(source: str) -> dt.date | None:
    """The first `YYYY-MM-DD` in the file's name, if it is a real date."""
    match = re.search(r"(\d{4})-(\d{2})-(\d{2})", Path(source).name)
    return _safe_date(*(int(part) for part in match.groups())) if match else None


def _first_title_index(lines: list[tuple[int, str]]) -> int:
    for index, (_number, line) in enumerate(lines):
        if _looks_like_abstract(line):
            return max(index - 1, 0)
    return len(lines)


def _looks_like_abstract(line: str) -> bool:
    return len(line) > _TITLE_MAX_CHARS or len(re.findall(r"[.!?]\s+[A-Z]", line)) >= 2


def _pair_titles_and_abstracts(lines: list[tuple[int, str]], digest: ParsedDigest) -> None:
    index = 0
    while index < len(lines):
        number, line = lines[index]
        if _looks_like_abstract(line):
            digest.problems.append(Problem(digest.source, number, "abstract with no title"))
            index += 1
            continue
        following = lines[index + 1] if index + 1 < len(lines) else None
        after = lines[index + 2] if index + 2 < len(lines) else None
        title_without_abstract = following is None or (
            not _looks_like_abstract(following[1])
            and after is not None
            and _looks_like_abstract(after[1])
        )
        if title_without_abstract:
            digest.problems.append(
                Problem(digest.source, number, f"title with no abstract: {line[:80]!r}")
            )
            index += 1
            continue
        assert following is not None
        abstract = following[1]
        digest.papers.append(ParsedPaper(line, abstract, extract_links(abstract), number))
        index += 2
