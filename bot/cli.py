"""The `paperboy` command: offline ingest, search and browsing, and `run` for the bot."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from bot import tex, text, wording
from bot.config import ConfigError, Settings
from bot.dates import NO_DIGESTS, format_day, resolve_day
from bot.errors import UserError
from bot.fetch_progress import fetch_days
from bot.ingest import totals
from bot.ingest_progress import ingest_files
from bot.models import Paper
from bot.search import Catalog, query_text
from bot.storage import Database
from bot.storage.connection import DatabaseUnusable
from bot.watcher import digest_files
from bot.wording import plural

NO_TOKEN = (
    "DISCORD_TOKEN is not set. Create a bot at https://discord.com/developers/applications, "
    "copy its token, and put `DISCORD_TOKEN=...` in a .env file next to the Makefile "
    "(see .env.example) or in the environment."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paperboy", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = commands.add_parser("ingest", help="load digest files or folders into the database")
    ingest.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="digest files, or folders of them (default: the digest folder)",
    )
    search = commands.add_parser("search", help="full-text search with typo tolerance")
    search.add_argument("query", nargs="+", help="words to look for; typos are forgiven")
    search.add_argument(
        "--limit",
        type=_count,
        default=10,
        help="how many of the best matches to list (default: 10)",
    )
    rand = commands.add_parser("random", help="a random paper, optionally on a topic")
    rand.add_argument("--topic", help="only papers about this, e.g. 'diffusion'")
    day = commands.add_parser("day", help="one day's papers (default: the latest day)")
    day.add_argument("date", nargs="?", help="the day, e.g. 'Mar 14' or 2026-03-14")
    fetch = commands.add_parser(
        "fetch", help="fetch Hugging Face Daily Papers days into the digest folder and load them"
    )
    history = fetch.add_mutually_exclusive_group()
    history.add_argument("--since", type=_iso_day, help="the first day, YYYY-MM-DD")
    history.add_argument(
        "--days", type=int, help="the last N complete days (default: PAPERBOY_HF_LOOKBACK_DAYS)"
    )
    commands.add_parser("run", help="run the Discord bot (reads .env)")
    return parser


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of at least 1: {value!r}")
    return number


def _iso_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD day: {value!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit code. Output piped into a reader that stops early
    (`paperboy day | head`) ends the command quietly, with 0."""
    try:
        code = _main(argv)
        sys.stdout.flush()  # a closed pipe must show here, not at interpreter exit
    except BrokenPipeError:
        # Python flushes stdout again at exit: point it at devnull so that flush is quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return code


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"paperboy: configuration error: {error}", file=sys.stderr)
        return 2
    if args.command == "run":
        return run_bot(settings)
    try:
        return asyncio.run(_offline(args, settings))
    except DatabaseUnusable as error:
        print(f"paperboy: {error}", file=sys.stderr)
        return 2


def run_bot(settings: Settings) -> int:
    if not settings.token:
        print(f"paperboy: {NO_TOKEN}", file=sys.stderr)
        return 2
    from bot.runner import run  # imported here: the offline commands need no Discord

    return run(settings)


async def _offline(args: argparse.Namespace, settings: Settings) -> int:
    async with await Database.open(settings.database) as database:
        catalog = await Catalog.load(database)
        try:
            if args.command == "ingest":
                return await _ingest(catalog, args.paths or [settings.digest_dir])
            if args.command == "fetch":
                return await fetch_days(catalog, settings, args.since, args.days)
            if args.command == "search":
                return await _search(catalog, query_text(" ".join(args.query)), args.limit)
            if args.command == "random":
                topic = None if args.topic is None else query_text(args.topic, "topic")
                return await _random(catalog, topic)
            return await _day(catalog, args.date)
        except UserError as error:  # what the bot would answer privately
            hint = " Run `paperboy ingest` first." if error.message == NO_DIGESTS else ""
            print(error.message + hint)
            return 1


async def _ingest(catalog: Catalog, paths: list[Path]) -> int:
    files: list[Path] = []
    for path in paths:
        try:
            files += digest_files([path]) if path.exists() else []
        except OSError as error:  # a folder that cannot be listed
            print(f"{path}: cannot read this folder ({error.strerror}); check its permissions")
            continue
        if not path.exists():
            print(f"{path}: no such file or folder")
    reports = await ingest_files(catalog, files)
    await catalog.tidy()
    print(totals(reports))
    return 0 if any(report.stored for report in reports) else 1


async def _search(catalog: Catalog, query: str, limit: int) -> int:
    if not catalog.paper_total:
        raise UserError(NO_DIGESTS)
    results = await catalog.search(query, limit=limit)
    if results.unknown:
        print(f"Left out (in no paper): {', '.join(results.unknown)}")
    if not results.papers:
        print(wording.no_match(query, random_command="paperboy random"))
        return 1
    searched = text.rewrite(query, results.readable_corrections, results.unknown)
    if results.readable_corrections:
        print(f"Showing results for: {searched}")
    best = f"; the best {len(results.papers)}" if len(results.papers) < results.total else ""
    print(f"{plural(results.total, 'result')} for “{searched}”{best}:")
    for rank, paper in enumerate(results.papers, start=1):
        print(f"{rank:>3}. {_title(paper)}  [{_days(paper)}]")
    return 0


async def _random(catalog: Catalog, topic: str | None) -> int:
    paper = await catalog.random_paper(topic)
    if paper is None:
        if topic:
            print(wording.no_topic(topic))
            return 1
        raise UserError(NO_DIGESTS)
    print(f"Random paper on “{topic}”" if topic else "Random paper")
    print()
    print(_full(paper))
    return 0


async def _day(catalog: Catalog, date_text: str | None) -> int:
    known = [summary.day for summary in await catalog.known_days()]
    day = resolve_day(date_text, known)
    papers = await catalog.day(day)
    print(f"{format_day(day)}: {plural(len(papers), 'paper')}")
    for rank, paper in enumerate(papers, start=1):
        print(f"{rank:>3}. {_title(paper)}")
    return 0


def _days(paper: Paper) -> str:
    return ", ".join(day.isoformat() for day in paper.days)


def _title(paper: Paper) -> str:
    """A title as printed: TeX leftovers tidied, one line."""
    return " ".join(tex.tidy(paper.title).split())


def _full(paper: Paper) -> str:
    lines = [_title(paper), f"Appeared: {_days(paper)}", ""]
    lines += textwrap.wrap(tex.tidy(paper.abstract), width=88)
    lines += [f"{link.kind}: {link.url}" for link in paper.links]
    return "\n".join(lines)


if __name__ == "__main__":  # `python -m bot.cli ingest ...` works like `paperboy ingest ...`
    sys.exit(main())
