"""The figures for one archive size, measured in-process through the real functions."""

from __future__ import annotations

import datetime as dt
import gc
import logging
import os
import random
import resource
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from benchmarks import baselines, relevance, rss, workload
from benchmarks.corpus import CACHE, Corpus
from benchmarks.stats import Figure, Sample, time_each, time_sync
from bot import matching
from bot.alerts import Alerts
from bot.ingest import ingest_paths
from bot.matching import Keyword, PaperText
from bot.models import Paper, Subscribed
from bot.search import Catalog
from bot.storage import Database

log = logging.getLogger("benchmarks")

GUILD_ID = 4242
ALERT_RUNS = 7
ALERT_RUNS_LARGE = 3  # beyond 100,000 subscriptions one decision takes many seconds
# Timed new days of each kind: a p95 needs at least 20 (of 5, it is the slowest).
NEW_DAY_RUNS = 20
REPEATS = 3  # each query, fragment or draw is timed this many times
ADD_SUBSCRIPTION_SAMPLE = 1000  # rows stored through Alerts.subscribe
NAIVE_ALERT_SAMPLE = 1000  # subscriptions the naive loop is timed on, then extrapolated


@dataclass
class SizeReport:
    """Everything measured for one archive size."""

    corpus: Corpus
    generate_seconds: float
    figures: list[Figure] = field(default_factory=list)
    terms: int = 0
    database_mb: float = 0.0
    notes: list[str] = field(default_factory=list)

    def add(self, *figures: Figure) -> None:
        """Record figures, and say each one as soon as it is measured."""
        for figure in figures:
            self.figures.append(figure)
            log.info("  %s: %s", figure.name, _value(figure))


def _value(figure: Figure) -> str:
    p95 = f" (p95 {figure.p95:,.2f})" if figure.p95 is not None else ""
    return f"{figure.median:,.2f}{p95} {figure.unit}"


def _ms(sample: Sample) -> tuple[float, float]:
    return sample.median * 1000, sample.p95 * 1000


def _latency(
    name: str,
    size: str,
    sample: Sample,
    limit_ms: float | None,
    ratio: float | None = None,
    note: str = "",
) -> Figure:
    median, p95 = _ms(sample)
    goal = f"p95 < {limit_ms:g} ms" if limit_ms is not None else "—"
    met = p95 < limit_ms if limit_ms is not None else None
    return Figure(name, size, "ms", median, p95, goal, met, ratio, note, runs=len(sample))


def search_goal_ms(papers: int) -> float:
    return 10.0 if papers <= 100_000 else 50.0


def alert_goal_ms(subscriptions: int) -> float:
    return 100.0 if subscriptions <= 100_000 else 1000.0


def database_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def remove_database(path: Path) -> None:
    for file in database_files(path):
        file.unlink(missing_ok=True)


# -- 1, 2: ingest ------------------------------------------------------------------------


async def ingest_archive(corpus: Corpus, path: Path, runs: int) -> list[Figure]:
    """Build the database from the whole archive `runs` times; the last build stays.

    The seed days come first, as the archive's oldest days (benchmarks/relevance.py):
    the relevance rows ask for them.
    """
    durations = []
    sources = relevance.archive_sources(corpus)
    expected = corpus.papers + relevance.seed_paper_count()
    for _ in range(runs):
        remove_database(path)
        database = await Database.open(path)
        catalog = await Catalog.load(database)
        cpu_before = _cpu_seconds()
        start = time.perf_counter()
        reports = await ingest_paths(catalog, sources)
        durations.append(time.perf_counter() - start)
        (main_after, workers_after), (main_before, workers_before) = _cpu_seconds(), cpu_before
        main_cpu, workers_cpu = main_after - main_before, workers_after - workers_before
        stored = sum(report.outcome.new_papers for report in reports if report.outcome)
        await database.close()
        if stored != expected:
            raise RuntimeError(f"ingest stored {stored} papers, expected {expected}")
    sample = Sample(tuple(durations))
    size = f"{corpus.papers:,}"
    rate = Sample(tuple(corpus.papers / seconds for seconds in durations))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    note = f"{corpus.days:,} day files and the 2 seed days, FTS index included" + (
        "" if runs > 1 else "; one build (too long to repeat)"
    )
    cpu_note = (
        f"; CPU time (last build): storing process {main_cpu:.1f} s, parsing workers "
        f"{workers_cpu:.1f} s, so at least {(main_cpu + workers_cpu) / cores:.1f} s on "
        f"{cores} cores"
    )
    goal, met = ("< 60 s", sample.median < 60) if corpus.papers >= 1_000_000 else ("—", None)
    total = Figure(
        "ingest archive: total", size, "s", sample.median, None, goal, met, None, note + cpu_note
    )
    return [
        Figure("ingest archive: throughput", size, "papers/s", rate.median, note=note, runs=runs),
        replace(total, runs=runs),
    ]


def _cpu_seconds() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def ingest_floor(corpus: Corpus, path: Path) -> Figure:
    """The archive ingest's floor: SQLite building the papers' FTS5 index alone."""
    seconds = baselines.fts5_index_alone(corpus.archive, path.with_name("fts5-alone.db"))
    return Figure(
        "ingest archive: FTS5 index alone (floor)",
        f"{corpus.papers:,}",
        "s",
        seconds,
        note="SQLite's time for the papers' FTS5 index only, in FTS5's best setting; "
        "measured last, so that its writes do not disturb the latencies",
    )


async def ingest_new_hub_days(catalog: Catalog, corpus: Corpus) -> Figure:
    """Fetched 100-paper Hub days (JSON, with authors and metadata) into the built
    database, as `ingest_new_days` times text days (`Catalog.tidy` after each, untimed)."""
    seconds: list[float] = []
    for path in corpus.new_hub_days[: NEW_DAY_RUNS + 1]:
        start = time.perf_counter()
        (report,) = await ingest_paths(catalog, [path])
        seconds.append(time.perf_counter() - start)
        await catalog.tidy()
        if not report.outcome or report.outcome.new_papers != 100:
            raise RuntimeError(f"{path}: {report.summary()}")
    del seconds[0]  # the warm-up day
    goal_ms = 50.0 if corpus.papers >= 1_000_000 else None  # as for text days
    return _latency(
        "ingest one fetched 100-paper JSON day",
        f"{corpus.papers:,}",
        Sample(tuple(seconds)),
        goal_ms,
        note="a Hub day: papers with ids, authors (indexed for /search) and metadata",
    )


async def ingest_new_days(catalog: Catalog, corpus: Corpus) -> list[Figure]:
    """New 100-paper day files into the built database: one warm-up day, then
    `NEW_DAY_RUNS` timed ones, as a running bot meets them (its caches warm).

    As in the bot's pass, each day is followed by `Catalog.tidy` (index merging, the WAL
    checkpoint and folding the day's terms into the vocabulary's main tally, which the
    bot runs after posting): timed on its own, reported too.
    """
    ingest_seconds: list[float] = []
    tidy_seconds: list[float] = []
    for path in corpus.new_days[: NEW_DAY_RUNS + 1]:
        start = time.perf_counter()
        (report,) = await ingest_paths(catalog, [path])
        ingested = time.perf_counter()
        await catalog.tidy()
        tidy_seconds.append(time.perf_counter() - ingested)
        ingest_seconds.append(ingested - start)
        if not report.outcome or report.outcome.new_papers != 100:
            raise RuntimeError(f"{path}: {report.summary()}")
    del ingest_seconds[0], tidy_seconds[0]  # the warm-up day
    size = f"{corpus.papers:,}"
    goal_ms = 50.0 if corpus.papers >= 1_000_000 else None  # the issue sets it at 1M papers
    return [
        _latency(
            "ingest one new day (100 papers)",
            size,
            Sample(tuple(ingest_seconds)),
            goal_ms,
            note="stored and searchable; its upkeep waits until after posting (next row)",
        ),
        _latency("Catalog.tidy after it (after posting)", size, Sample(tuple(tidy_seconds)), None),
    ]


# -- 3, 4, 5: the read commands ----------------------------------------------------------


async def search_figures(
    catalog: Catalog, load: workload.Workload, papers: int, path: Path, baseline_runs: int
) -> list[Figure]:
    """`/search`: rank, then fetch the first page, as cogs/papers.py does."""

    async def search(query: str) -> None:
        await catalog.search(query, limit=5)

    size, goal = f"{papers:,}", search_goal_ms(papers)
    figures = []
    kinds = (  # name, queries, with a baseline, with a goal
        ("/search common words", load.common_queries, True, True),
        ("/search multi-word", load.multi_queries, True, True),
        ("/search misspelt words", load.typo_queries, False, False),
        ("/search an author's name", load.author_queries, False, True),
        ("/search an author and a word", load.author_word_queries, False, True),
    )
    for name, queries, with_baseline, with_goal in kinds:
        sample = await time_each(queries * REPEATS, search)
        ratio = None
        if with_baseline:
            naive = baselines.naive_search(path, queries[:3], baseline_runs)
            ratio = naive.median / sample.median
        figures.append(_latency(name, size, sample, goal if with_goal else None, ratio))
    return figures


def relevance_goal(papers: int) -> float:
    """The goal for natural-language MRR@10: 0.95 up to 10k papers, 0.9 beyond."""
    return 0.95 if papers <= 10_000 else 0.9


async def relevance_figures(catalog: Catalog, papers: int) -> list[Figure]:
    """The relevance tables (benchmarks/relevance.py) on this archive, the seed days its
    oldest; and the natural-language queries' latency."""
    size = f"{papers:,}"
    result = await relevance.evaluate(catalog, papers)
    first = result.plain_first + result.typo_first
    asked = result.plain_total + result.typo_total
    goal = relevance_goal(papers)
    misses = "; ".join(result.misses) or "none"
    ranks = ", ".join(str(rank) if rank else "-" for _, rank in result.natural_ranks)
    held = ", ".join(str(rank) if rank else "-" for _, rank in result.held_out_ranks)

    async def search(query: str) -> None:
        await catalog.search(query, limit=5)

    queries = [query for query, _ in relevance.NATURAL + relevance.HELD_OUT]
    sample = await time_each(queries * REPEATS, search)
    return [
        Figure(
            "relevance: plain and typo queries ranked first",
            size,
            "queries",
            first,
            goal=f"all {asked}",
            met=first == asked,
            note=f"{result.plain_first}/{result.plain_total} plain, {result.typo_first}/"
            f"{result.typo_total} typo; not first: {misses}",
        ),
        Figure(
            f"relevance: natural-language MRR@{relevance.TOP}",
            size,
            "MRR",
            result.natural_mrr,
            goal=f"≥ {goal:g}",
            met=result.natural_mrr >= goal,
            note=f"{len(result.natural_ranks)} queries, ranks: {ranks}",
        ),
        Figure(
            f"relevance: held-out MRR@{relevance.TOP}",
            size,
            "MRR",
            result.held_out_mrr,
            note=f"{len(result.held_out_ranks)} queries never tuned on, ranks: {held}",
        ),
        _latency("/search natural-language queries", size, sample, None),
    ]


async def autocomplete_figures(
    catalog: Catalog, load: workload.Workload, papers: int
) -> list[Figure]:
    """`/paper` suggestions as the title is typed: `titles_like(fragment)`."""

    async def suggest(fragment: str) -> None:
        await catalog.titles_like(fragment)

    size = f"{papers:,}"
    prefixes = await time_each(load.prefix_fragments * REPEATS, suggest)
    typos = await time_each(load.typo_fragments * REPEATS, suggest)
    return [
        _latency("/paper autocomplete, title prefixes", size, prefixes, 30),
        _latency("/paper autocomplete, misspelt", size, typos, 30),
    ]


async def random_figure(catalog: Catalog, load: workload.Workload, papers: int) -> Figure:
    """`/random topic` for a topic in about 15% of the papers."""
    rng = random.Random(f"random-{papers}")

    async def draw(_index: int) -> None:
        if await catalog.random_paper(load.topic, rng) is None:
            raise RuntimeError(f"no paper for topic {load.topic!r}")

    sample = await time_each(range(100 * REPEATS), draw)
    figure = _latency(f"/random topic ({load.topic_share:.0%} of papers)", f"{papers:,}", sample, 5)
    return replace(figure, note=f"topic “{load.topic}”")


# -- 6: alerts ---------------------------------------------------------------------------


async def store_subscriptions(alerts: Alerts, pairs: list[tuple[int, Keyword]]) -> str:
    """The first rows through `Alerts.subscribe`, the rest with one executemany."""
    head, rest = pairs[:ADD_SUBSCRIPTION_SAMPLE], pairs[ADD_SUBSCRIPTION_SAMPLE:]
    start = time.perf_counter()
    for user_id, keyword in head:
        result = await alerts.subscribe(GUILD_ID, user_id, keyword)
        if result is not Subscribed.ADDED:
            raise RuntimeError(f"subscription {keyword.key!r}: {result}")
    per_row_ms = (time.perf_counter() - start) * 1000 / max(len(head), 1)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    connection = alerts.db.connection
    async with connection.transaction():
        await connection.execute_many(
            "INSERT INTO subscriptions(guild_id, user_id, label, keyword_key, term_count, "
            "exclude, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (GUILD_ID, user_id, kw.label, kw.key, len(kw.terms), " ".join(kw.exclude), now)
                for user_id, kw in rest
            ],
        )
    users = len({user_id for user_id, _ in pairs})
    return (
        f"{len(pairs):,} subscriptions of {users:,} members in one server: "
        f"{len(head):,} stored through Alerts.subscribe ({per_row_ms:.2f} ms each), "
        f"{len(rest):,} inserted directly with executemany on the storage connection"
    )


class Laps:
    """Records the milliseconds since the previous lap under each step's name."""

    def __init__(self, steps: dict[str, float]) -> None:
        self.steps = steps
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.steps[name] = (now - self.last) * 1000
        self.last = now


async def alert_steps(alerts: Alerts, papers: list[Paper]) -> dict[str, float]:
    """Milliseconds per step of `Alerts.decide`, its steps repeated here.

    Only for the note: the figure itself times the publisher's function. If the
    publisher's steps change, the breakdown is left out rather than guessed.
    """
    steps: dict[str, float] = {}
    laps = Laps(steps)
    try:
        index = await alerts.keyword_index(GUILD_ID)
        laps.lap("keyword_index (cached)")
        texts = [PaperText.of(paper) for paper in papers]
        laps.lap("PaperText.of")
        occurrences = index.occurrences(texts)
        laps.lap(f"occurrences ({len(occurrences):,} keywords found)")
        day = matching.DayMatch(index, texts)
        laps.lap(f"DayMatch: trie walk again, vetoes, member sets ({len(day.members):,})")
    except (AttributeError, TypeError) as error:
        log.warning("alert step breakdown unavailable: %s", error)
        return {}
    return steps


async def alert_figure(
    catalog: Catalog, corpus: Corpus, count: int, seed: int
) -> tuple[Figure, str]:
    """Which of `count` subscriptions match the newest 100-paper day, vs the naive loop."""
    pairs = workload.keywords(corpus.lexicon, count, seed)
    alerts = Alerts(catalog.db)
    stored = await store_subscriptions(alerts, pairs)
    latest = (await catalog.known_days())[0].day
    papers = await catalog.day(latest)
    start = time.perf_counter()
    decided = await alerts.decide(GUILD_ID, papers)
    first_ms = (time.perf_counter() - start) * 1000

    async def decide(_run: int) -> None:
        await alerts.decide(GUILD_ID, papers)

    runs = ALERT_RUNS if count <= 100_000 else ALERT_RUNS_LARGE
    sample = await time_each(range(runs), decide, warmup=0)
    sampled = pairs[:NAIVE_ALERT_SAMPLE]
    naive = time_sync(lambda: baselines.naive_alerts(papers, sampled), 1)
    naive_seconds = naive.median * len(pairs) / len(sampled)
    mentions = sum(len(matching.papers_for(decided.hits(member))) for member in decided.members)
    steps = await alert_steps(alerts, papers)
    breakdown = ", ".join(f"{name} {ms:,.0f} ms" for name, ms in steps.items())
    note = (
        f"{len(decided.members):,} members alerted, {mentions:,} (member, paper) pairs; "
        f"first call (builds the keyword trie) {first_ms:,.0f} ms; "
        f"one warm run by step: {breakdown or 'n/a'}; naive loop timed on "
        f"{len(sampled):,} subscriptions ({naive.median:.2f} s) and extrapolated linearly "
        f"to {naive_seconds:.1f} s"
    )
    figure = _latency(
        "alert decision for a 100-paper day",
        f"{count:,} subscriptions",
        sample,
        alert_goal_ms(count),
        naive_seconds / sample.median,
    )
    return replace(figure, note=note), stored


# -- 7: memory ---------------------------------------------------------------------------


def memory_figure(path: Path, papers: int, runs: int) -> tuple[Figure, int]:
    """RSS of a fresh process after `Database.open` + `Catalog.load`."""
    resident, peak, terms = rss.measure(path, runs)
    note = f"peak (VmHWM) {peak.median:.0f} MB; vocabulary {terms:,} terms"
    met = resident.median < 300
    figure = Figure(
        "RSS after Database.open + Catalog.load",
        f"{papers:,}",
        "MB",
        resident.median,
        None,
        "< 300 MB",
        met,
        None,
        note,
        runs,
    )
    return figure, terms


# -- startup -----------------------------------------------------------------------------


async def startup_figure(database: Database, papers: int, loaded: float) -> Figure:
    """The start just timed read the term counts saved by the ingest; the note says what
    counting them from the index (a first start after upgrading) takes instead."""
    start = time.perf_counter()
    await database.index.count_index_terms()
    recount = time.perf_counter() - start
    note = f"reads the saved term counts; counting them from the index instead: {recount:.1f} s"
    return Figure("startup: Database.open + Catalog.load", f"{papers:,}", "s", loaded, note=note)


# -- one size ----------------------------------------------------------------------------


async def measure_size(corpus: Corpus, generate_seconds: float, seed: int) -> SizeReport:
    """All per-size figures, in the order of the issue."""
    report = SizeReport(corpus, generate_seconds)
    path = CACHE / "work" / f"archive-{corpus.papers}.db"
    small = corpus.papers <= 10_000
    report.add(*await ingest_archive(corpus, path, runs=3 if small else 1))
    start = time.perf_counter()
    database = await Database.open(path)
    catalog = await Catalog.load(database)
    loaded = time.perf_counter() - start
    gc.freeze()  # as the bot does after loading (Paperboy.setup_hook)
    try:
        report.add(await startup_figure(database, corpus.papers, loaded))
        report.add(*await ingest_new_days(catalog, corpus))
        report.add(await ingest_new_hub_days(catalog, corpus))
        load = await workload.build(catalog, corpus.lexicon, corpus.papers, seed)
        searches = await search_figures(
            catalog, load, corpus.papers, path, baseline_runs=3 if small else 1
        )
        report.add(*searches)
        report.add(*await relevance_figures(catalog, corpus.papers))
        report.add(*await autocomplete_figures(catalog, load, corpus.papers))
        report.add(await random_figure(catalog, load, corpus.papers))
        figure, stored = await alert_figure(catalog, corpus, corpus.papers, seed)
        report.add(figure)
        report.notes.append(stored)
    finally:
        await database.close()
    figure, report.terms = memory_figure(path, corpus.papers, runs=3)
    report.add(figure)
    report.add(ingest_floor(corpus, path))
    report.database_mb = sum(f.stat().st_size for f in database_files(path) if f.exists()) / 2**20
    return report
