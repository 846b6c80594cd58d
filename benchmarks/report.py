"""BENCHMARKS.md: the machine, the corpora, one table of figures, and design notes."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from benchmarks import corpus as corpus_module
from benchmarks.measure import (
    ALERT_RUNS,
    ALERT_RUNS_LARGE,
    NAIVE_ALERT_SAMPLE,
    REPEATS,
    SizeReport,
)
from benchmarks.stats import Figure
from bot import candidates, concepts, query, ranking, search, vocabulary
from bot.storage import connection


@dataclass(frozen=True)
class Run:
    """One harness run: its command line, reports per size, and the shared figures."""

    command: str
    started: dt.datetime
    wall_seconds: float
    sizes: Sequence[SizeReport]
    shared: Sequence[Figure]
    seed: int


def number(value: float, unit: str) -> str:
    """A measured value in a readable precision for its unit."""
    if unit == "MRR":
        return f"{value:.3f}"
    if unit in ("papers/s", "messages", "MB", "requests", "queries"):
        return f"{value:,.0f}"
    if unit == "s":
        return f"{value:,.1f}"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _met(met: bool | None) -> str:
    return "—" if met is None else ("yes" if met else "**no**")


def _ratio(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio:,.0f}× faster"


def figure_row(figure: Figure) -> str:
    p95 = "—" if figure.p95 is None else f"{number(figure.p95, figure.unit)} {figure.unit}"
    cells = (
        figure.name,
        figure.size,
        f"{number(figure.median, figure.unit)} {figure.unit}",
        p95,
        str(figure.runs),
        figure.goal,
        _met(figure.met),
        _ratio(figure.baseline_ratio),
        figure.note,
    )
    return "| " + " | ".join(cells) + " |"


def machine_lines(run: Run) -> list[str]:
    cpu = _cpu_model()
    return [
        f"- Cores: {os.cpu_count()}{f' ({cpu})' if cpu else ''}; "
        f"memory: {_memory_gb():.0f} GB; {platform.system()} {platform.release()}",
        f"- Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
        f"discord.py {metadata.version('discord.py')}, aiosqlite {metadata.version('aiosqlite')}, "
        f"rapidfuzz {metadata.version('rapidfuzz')}, simcord {metadata.version('simcord')}",
        f"- Date: {run.started:%Y-%m-%d %H:%M} UTC; wall time of the whole run: "
        f"{run.wall_seconds:.0f} s ({run.wall_seconds / 60:.1f} min)",
    ]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _memory_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def corpus_table(sizes: Sequence[SizeReport]) -> list[str]:
    lines = [
        "| papers | day files | vocabulary drawn from | indexed terms | database | generated in |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for report in sizes:
        c = report.corpus
        generated = "cached" if report.generate_seconds < 1 else f"{report.generate_seconds:.0f} s"
        lines.append(
            f"| {c.papers:,} | {c.days:,} | {len(c.lexicon.units):,} units | "
            f"{report.terms:,} | {report.database_mb:,.0f} MB | {generated} |"
        )
    return lines


def design_notes(run: Run) -> list[str]:
    largest = run.sizes[-1] if run.sizes else None
    terms = f"{largest.terms:,} terms at {largest.corpus.papers:,} papers" if largest else ""
    return [
        "- **Search finds old papers as readily as new ones: bounded candidate sources over "
        "the whole archive, then one scorer.** `Catalog.rank` used to score only the newest "
        "200 matches (`ORDER BY rowid DESC`), so an old paper whose words are common never "
        "became a candidate: with the seed days as the archive's oldest days, "
        "natural-language MRR@10 fell from 0.924 on the seeds to 0.485 at 10k papers and "
        "0.455 at 100k, and only 29 and 17 of the 43 plain and typo queries still ranked "
        "first (`python -m benchmarks.relevance`). FTS5 is cheap only over short doclists and for "
        "the newest matches; `bm25()` costs about 3 µs a matching row and reads every "
        "doclist of its query. The main source is the **focus index** (`focus_fts`, "
        "migration 14): each paper's title terms and the terms its abstract uses more than "
        "once, since a paper's subject recurs in its abstract; its doclists are a fraction "
        "of `paper_fts`'s. For the query's words in at most "
        f"{candidates.FOCUS_SHARE:.0%} of papers, their focus doclist lengths are counted "
        "(`focus_vocab`, cached until the next ingest), and the rarest words whose doclists "
        f"add up to {candidates.FOCUS_POSTINGS:,} postings per "
        f"{candidates.BUDGET_PAPERS:,} papers (at most ×{candidates.MAX_BUDGET}) are listed "
        "per column and summed per paper by IDF (title ×"
        f"{candidates.FOCUS_TITLE_WEIGHT:g}) in SQL, about 0.5 µs a row; the best "
        f"{candidates.FOCUS_CANDIDATES} are candidates ({candidates.FOCUS_CANDIDATES_MORE} "
        f"more per {candidates.BUDGET_PAPERS:,} papers beyond the first). Measured at 100k "
        "papers: BM25 over "
        "the same rows found 46 of 51 targets in its top 50 at 2.6 ms a query, the sum 48 "
        "at 1.1 ms. The other sources: titles holding every selective word (ranked by title "
        f"BM25 only when each is in at most {candidates.RANKED_TITLE_SHARE:.0%} of papers), "
        "the query as a title phrase (`NEAR` across stopwords), titles starting with it, "
        f"titles holding its rarest word pairs ({candidates.PAIR_QUERIES} at most), and for "
        f"recency the newest {candidates.CANDIDATES} papers holding its "
        f"{candidates.NEWEST_WORDS} rarest selective words; one `UNION ALL` statement asks "
        "them all. Tried and left out: BM25 over the rarest words in `paper_fts` and the "
        "newest phrase matches (up to 9 and 12 ms at 1M papers, no relevance figure "
        "changed without them); weighted title coverage over `title_fts` (13 ms at 100k, "
        "found none of the misses); weighted ANDs of word pairs over `paper_fts` (19 ms at "
        "100k); BM25 over the focus index (slower, and it favours short focus lists). A "
        f"substring-count estimate keeps {ranking.PRESCORED} candidates and `bot.ranking` "
        f"scores them: BM25F (title ×{ranking.TITLE_WEIGHT:g}, a title word the abstract "
        f"never uses counting ×{ranking.TITLE_ALONE:g}), neighbouring query words as "
        f"phrases, IDF capped at {ranking.IDF_CAP:g}, title-share and proximity bonuses; "
        "recency breaks ties. Acronyms that abstracts define (`acronyms`, migration 13, "
        "counted as papers are stored) are read both ways: `NLP` also matches its "
        "expansion, and `theory of mind` in a query also matches `ToM`; an expansion is "
        "searched as a phrase only when its rarest word is in at most "
        f'{concepts.EXPANSION_SHARE:.0%} of papers ("language model" as LM read the two '
        "longest doclists: 270 ms at 1M). Typos: in a query that three known words carry, "
        f"a word under {query.SHORT_WORD} letters is left out rather than corrected "
        "(`twice` had become `taic`, `versus` `vearsus`), and no word is corrected to a "
        f"term fewer than {query.RARE_CORRECTION} papers hold. SQLite throughout: no second "
        "index to keep consistent with the database.",
        "- **Autocomplete** reads `title_fts` (raw title words, prefix indexes of 2 and 3 "
        "characters): the newest 200 titles matching the typed words, the last one as a prefix; "
        "only when fewer than 25 match does it add stemmed, typo-corrected title matches "
        "(titles only), newest first and unscored: asking BM25 to score them read the whole "
        "doclist of every common word in the fragment (p95 33 ms at 1M papers; 9 ms "
        "unscored). rapidfuzz orders the candidates.",
        f"- **`/random topic`** draws {search.RANDOM_DRAWS} uniform ids and keeps the first that "
        "matches (one FTS5 query restricted to those rowids); only a rare topic falls back to "
        "count-and-offset. Each way is uniform over the matches, so the mix is too. FTS5 "
        "cannot seek to listed rowids, so the query reads the topic's doclist; after a bulk "
        "load that doclist is one merged segment, which halved this figure at 1M papers.",
        "- **Alerts walk a trie of the server's keywords.** `Alerts.decide` "
        "walks every position of the day's titles and abstracts through a cached index of the "
        "server's subscriptions (a trie of keywords whose nodes hold the members, grouped by "
        "excludes; kept in step on subscribe and unsubscribe). Each keyword-and-excludes group "
        "is matched once and shared by its members; a group with excludes matches as soon as "
        "one of its papers holds none of them, usually the first looked at. The cost follows "
        "the day's text and the matching subscriptions, not "
        "every subscription times every paper. Long-lived structures are frozen out of the "
        "cyclic GC (`gc.freeze`) and the decision runs with the collector paused: full "
        "collections landing inside it had doubled its time.",
        "- **Typo correction** (`Vocabulary.correct`) compares an unknown word only with "
        "indexed terms of similar length that share its first or last two letters (one edit "
        "leaves one end intact), with rapidfuzz OSA; comparing with every term of similar "
        f"length took ~19 ms a word at 100k papers. The vocabulary ({terms}) is held in memory.",
        "- **Ingest of a whole archive** takes the bulk path (`ingest_paths` with 50 files or "
        "more): files are parsed and stemmed in spawned worker processes (one per core, at "
        "most 4) while the main process stores them, 20 files a transaction, with FTS5's "
        "segment merging deferred (`automerge` 0, an 8 MB pending-term buffer) and one "
        "`optimize` at the end when the load wrote most of the index. File by file, merging "
        "cost more than indexing: 736 s for 1M papers before. The main process, which runs "
        "SQLite on one writer thread, is the bottleneck. The row `FTS5 index alone (floor)` "
        "times SQLite building only the papers' FTS5 index from the same index text, with "
        "no Python and no other table, in FTS5's best setting measured (merging only at the "
        "end, 64 MB buffer): at 1M papers that alone is about twice the 60 s goal on this "
        "machine. The CPU time in the total's note says the same for the whole load: the "
        "work done, spread perfectly over this machine's cores, still takes over twice 60 s. "
        "tantivy (2 indexing threads) measured 7.5 s per 100k papers, no faster. Two FTS5 "
        "index files built at once by two processes (half the papers each) took 72 s each, "
        "against 105 s for one file of all of them: sharding scales, but 2 cores are not "
        "enough. Under 60 s needs more cores (index shards built in parallel, `/search` "
        "merging each shard's top candidates) and less work per token. Tuning the index does "
        "not get there: for 100k papers FTS5 took 9.0 s as built, 8.8 s with `detail=column`, "
        "7.9 s with `detail=none` (neither keeps the word positions that subscription phrases "
        "need), 8.9 s without stopwords and with the `ascii` tokenizer, and 7.2 s with no "
        "rollback journal (which a crash can corrupt).",
        "- **One new day** is stored in one transaction (parse and stem in a thread, papers, "
        "the FTS5 indexes of text, titles and authors, appearances), then its terms are "
        "counted into a small tally of recent terms. Upkeep waits until the bot's pass has "
        "posted: `Catalog.tidy` (its own row) folds that tally into the vocabulary's main "
        "one, indexes what the day's papers are about and counts the acronyms they define "
        "(`bot.catch_up`: in the commit they had made a 1M-paper day about 25% slower; "
        "meanwhile the newest-matches source finds them), and `SearchIndex.tidy` "
        "merges FTS5 segments in bounded steps (`automerge` 0) and checkpoints the WAL. "
        "Each SQL statement is one trip to aiosqlite's worker thread (its cursors took two "
        "or three: about 3 ms of a 1M-paper Hub day). "
        "Merges and checkpoints inside the commit had taken 30-60 ms on their own; counting "
        "straight into the 850k-term main tally took 10 ms (16k updates at ~0.5 µs, TLB "
        "misses: the same lookups repeated warm cost as much), against 2 ms for the small "
        "tally. A Hub day at 1M papers costs about 40-45 ms, as profiled this session: "
        "parse and stem 15-20 ms of Python (the JSON, each item's metadata and links, the "
        "stemmed index text), SQL 20-25 ms (the commit about 7, the title-key lookup 3-6, "
        "paper_fts 3-4, the rows 3), the tally 2-3 ms. On this VM a page the OS has not served "
        "for a while costs about 60 µs to read, against 3 µs just after (`kdamond` pages out "
        "cold file pages), so the lookups' share varies; when it pages the database out to "
        "the virtual disk, a random read takes 2-4 ms and the same 100 title-key lookups "
        "take 90-390 ms (measured on the 1M database right after a run whose new-day rows "
        "were 1.5 times another's at the same FTS5 floor). Tried and left out: reading the "
        "title-key pages ahead while the papers are prepared (no gain: the reader waits for "
        "the GIL), `mmap_size` (slower), a 128 MB page cache (no gain). The timed days "
        "follow one warm-up day, as a running bot meets them.",
        f"- **SQLite's page cache** is {connection.PAGE_CACHE_KB // 1024} MB "
        "(`Database.open`), not "
        "the 2 MB default: with 2 MB every `/search` read the doclists of its common words from "
        "the OS again (multi-word p95 at 100k papers: 7.6-8.4 ms, against 5.9-6.2 ms). The "
        "RSS row includes what `Catalog.load` reads into it.",
        "- **Startup** reads the vocabulary's term counts saved in the database (`term_counts`, "
        "with the newest paper they count) and counts only the papers added since, a batch at "
        "a time; counting every term from the index (`fts5vocab`) reads every doclist (the "
        "startup row's note gives its time). The catch-up costs about 240 µs a paper "
        "(stemming, then saving what it counted), so it is taken while the newer papers are "
        f"at most 1/{round(1 / vocabulary.CATCH_UP_SHARE)} of the archive (at least "
        f"{vocabulary.MIN_CATCH_UP:,}); beyond, the start counts the index and saves the counts. "
        "At 1M papers, a start 10,000 papers behind took 4.4-4.8 s, RSS 241 MB (peak 271 MB); "
        "recounting and saving takes 8-9 s.",
    ]


def method_lines(run: Run) -> list[str]:
    return [
        f"- Corpus: generated by `benchmarks/corpus.py` with `random.Random` (seed {run.seed}): "
        "one Hub JSON day per day, as the live source saves them (each paper with an arXiv "
        "id, 1-12 authors Zipf-drawn from 3,000 first and 30,000 last names, upvotes, a "
        "one-sentence summary), and new days both in that form and in the text format "
        "(header lines, an ISO date line, title / blank / abstract blocks); 80-100 papers a "
        "day, titles 23-126 characters "
        "(half with a `Name:` prefix), abstracts 1,400-1,900 characters, a quarter naming a "
        "GitHub or project URL. Words are drawn with Zipf weights from the seeds' words and "
        "frequent phrases plus generated pronounceable words; the vocabulary grows with the "
        f"archive (at least {corpus_module.MIN_VOCABULARY:,} terms). Cached under "
        "`benchmarks/.cache/`.",
        "- Database: built by `bot.ingest.ingest_paths` into a file opened with "
        "`Database.open` and `Catalog.load`, as the bot does at startup.",
        f"- Latencies: each query, fragment or draw timed {REPEATS} times after a few warm-up "
        "calls; the table shows the median and the nearest-rank p95 over all of them (the "
        "`runs` column). `/search` times `catalog.search(query, limit=5)`, what the command calls; "
        "autocomplete times `catalog.titles_like(fragment)` for prefixes (3 to 24 characters) "
        "of 30 real titles and for 30 title fragments with one typing slip. Author queries "
        "are the full name of an author of a random paper, alone or with a common word.",
        f"- Alert decision: {ALERT_RUNS} warm runs ({ALERT_RUNS_LARGE} beyond 100,000 "
        "subscriptions) of `Alerts.decide`, the function `Publisher._send_alerts` "
        "calls before sending anything, for the newest 100-paper day. The naive baseline "
        "(every keyword's "
        f"regex against every paper) runs on {NAIVE_ALERT_SAMPLE:,} subscriptions and is "
        "extrapolated linearly.",
        "- Baseline ratio: the naive way's median divided by ours; `/search` baselines use a "
        "plain `sqlite3` connection to the same file (3 queries of the kind).",
        "- RSS: a fresh `python -m benchmarks.rss` process per run (VmRSS from /proc/self/status "
        "after the open and the load).",
    ]


def missed_lines(figures: Sequence[Figure]) -> list[str]:
    """One line per goal not met, or a line saying all were met."""
    missed = [figure for figure in figures if figure.met is False]
    if not missed:
        return ["Every goal was met."]
    return [
        f"- {figure.name} at {figure.size}: "
        f"{number(figure.p95 if figure.p95 is not None else figure.median, figure.unit)} "
        f"{figure.unit} against {figure.goal}"
        for figure in missed
    ]


def render(run: Run) -> str:
    figures = [figure for report in run.sizes for figure in report.figures] + list(run.shared)
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{run.command}` (the harness in `benchmarks/`; `make bench` runs it). "
        "Do not edit by hand: rerun it.",
        "",
        "## Machine",
        "",
        *machine_lines(run),
        "",
        "## Corpora",
        "",
        *corpus_table(run.sizes),
        "",
        "## Results",
        "",
        "| figure | size | median | p95 | runs | goal | met? | baseline | notes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *(figure_row(figure) for figure in figures),
        "",
        *(f"- {note}" for report in run.sizes for note in report.notes),
        "",
        "## Goals missed",
        "",
        *missed_lines(figures),
        "",
        "## Design notes",
        "",
        *design_notes(run),
        "",
        "## How it was measured",
        "",
        *method_lines(run),
        "",
    ]
    return "\n".join(lines)
