"""`python -m benchmarks --sizes 10000,100000`: measure, then write BENCHMARKS.md."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import time
from pathlib import Path

from benchmarks import corpus as corpus_module
from benchmarks import discord_posts, report
from benchmarks.measure import SizeReport, measure_size
from benchmarks.stats import Figure

OUTPUT = corpus_module.ROOT / "BENCHMARKS.md"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        help="archive sizes in papers, comma-separated (default: 10000,100000)",
    )
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default: 1)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write the report")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(size.replace("_", "")) for size in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes must be whole numbers separated by commas, not {args.sizes!r}")
    if any(size < 1000 for size in args.sizes):
        parser.error("each size must be at least 1000 papers")
    return args


log = logging.getLogger("benchmarks")


def say(message: str) -> None:
    log.info("%s", message)


async def measure_all(sizes: list[int], seed: int) -> list[SizeReport]:
    reports = []
    for size in sizes:
        say(f"{size:,} papers: generating the corpus (cached after the first run)")
        start = time.perf_counter()
        corpus = corpus_module.corpus(size, seed)
        generated = time.perf_counter() - start
        say(f"{size:,} papers: {corpus.days:,} day files ready in {generated:.0f} s; measuring")
        reports.append(await measure_size(corpus, generated, seed))
    return reports


async def shared_figures(seed: int) -> list[Figure]:
    """Figures that do not depend on the archive size: posting a 100-paper day."""
    small = corpus_module.corpus(10_000, seed)
    archive_day = sorted(small.archive.iterdir())[-1]
    count = await discord_posts.count_post_requests(archive_day, small.new_days[-1])
    messages = count.by_kind.get("message", 0)
    breakdown = ", ".join(f"{n} {kind}" for kind, n in sorted(count.by_kind.items()))
    note = (
        f"header + paper messages in the day's thread; {count.posts} POST requests in all "
        f"({breakdown}, the thread creation is not a message); {count.papers_shown} papers shown"
    )
    return [
        Figure(
            "Discord messages to post a 100-paper day",
            "100-paper day",
            "messages",
            messages,
            goal="≤ 12",
            met=messages <= 12,
            note=note,
        )
    ]


async def main_async(args: argparse.Namespace) -> report.Run:
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    sizes = await measure_all(args.sizes, args.seed)
    say("posting a 100-paper day under SimCord")
    shared = await shared_figures(args.seed)
    command = "python -m benchmarks --sizes " + ",".join(str(size) for size in args.sizes)
    return report.Run(command, started, time.perf_counter() - clock, sizes, shared, args.seed)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="[%(asctime)s] %(message)s", datefmt="%H:%M:%S"
    )
    log.setLevel(logging.INFO)
    logging.getLogger("bot").setLevel(logging.ERROR)
    run = asyncio.run(main_async(args))
    args.output.write_text(report.render(run), encoding="utf-8")
    say(f"wrote {args.output} after {run.wall_seconds:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
