"""Reliability: the digest parser and ingest under property-based fuzzing (hypothesis).

Every generated file must give either papers plus problems that name a line, or a clear
error (no papers stored); never an exception. A subset is ingested into a real database,
some with a fault injected inside the write transaction: the file's papers are then all
there or none of them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.digest import MAX_FILE_BYTES, parse_bytes, parse_file
from bot.ingest import ingest_file, prepare
from bot.search import Catalog
from bot.storage import Database
from tests.conftest import SEED_MAR13, SEED_MAR14, TODAY
from tests.helpers import paper_count
from tests.reliability import budget, record

SEEDS = [SEED_MAR13.read_bytes(), SEED_MAR14.read_bytes()]
LINE_BREAK = re.compile(rb"\r\n?|\n")
FUZZ = settings(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    max_examples=budget(260, 2600),
)
# Parse outcomes over every parametrised run of test_parser_never_fails (one table row).
PARSED: Counter[str] = Counter()


def _split_lines(data: bytes) -> list[bytes]:
    return LINE_BREAK.split(data)


@st.composite
def seed_text(draw) -> bytes:
    return draw(st.sampled_from(SEEDS))


@st.composite
def truncated_seed(draw) -> bytes:
    seed = draw(seed_text())
    return seed[: draw(st.integers(0, len(seed)))]


@st.composite
def shuffled_lines(draw) -> bytes:
    lines = _split_lines(draw(seed_text()))
    rng = draw(st.randoms(use_true_random=False))
    keep = draw(st.integers(1, len(lines)))
    picked = rng.sample(lines, keep)
    return b"\n".join(picked)


@st.composite
def huge_lines(draw) -> bytes:
    lines = _split_lines(draw(truncated_seed()))
    size = draw(st.sampled_from([301, 5_000, 70_000, 400_000]))
    unit = draw(st.sampled_from([b"a", b"word ", b"Sentence. Another ", b"\xf0\x9f\x99\x82"]))
    position = draw(st.integers(0, len(lines)))
    lines.insert(position, (unit * (size // len(unit) + 1))[:size])
    return b"\n".join(lines)


def _insert_at_random(draw, data: bytes, pieces: st.SearchStrategy[bytes]) -> bytes:
    count = draw(st.integers(1, 5))
    for _ in range(count):
        position = draw(st.integers(0, len(data)))
        data = data[:position] + draw(pieces) + data[position:]
    return data


@st.composite
def nul_bytes(draw) -> bytes:
    return _insert_at_random(draw, draw(truncated_seed()), st.just(b"\x00"))


INVALID_UTF8 = st.sampled_from(
    [b"\xff", b"\xfe\xfe", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\x80\x80", b"\xf8\x88\x80"]
)


@st.composite
def invalid_utf8(draw) -> bytes:
    return _insert_at_random(draw, draw(truncated_seed()), INVALID_UTF8)


@st.composite
def mixed_line_endings(draw) -> bytes:
    lines = _split_lines(draw(truncated_seed()))
    endings = [draw(st.sampled_from([b"\n", b"\r\n", b"\r", b"\n\n", b"\r\n\r\n"])) for _ in lines]
    bom = draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    return bom + b"".join(line + ending for line, ending in zip(lines, endings, strict=True))


@st.composite
def anything(draw) -> bytes:
    """A seed fragment with several of the mutations above applied at once."""
    data = draw(st.one_of(truncated_seed(), shuffled_lines(), huge_lines()))
    mutate = draw(st.sets(st.sampled_from(["nul", "utf8", "endings", "junk"])))
    if "junk" in mutate:
        data = _insert_at_random(draw, data, st.binary(min_size=1, max_size=40))
    if "utf8" in mutate:
        data = _insert_at_random(draw, data, INVALID_UTF8)
    if "endings" in mutate:
        data = re.sub(rb"\r\n?|\n", draw(st.sampled_from([b"\r", b"\r\n", b"\n\r"])), data)
    if "nul" in mutate and draw(st.booleans()):
        data = _insert_at_random(draw, data, st.just(b"\x00"))
    return data


KINDS: dict[str, st.SearchStrategy[bytes]] = {
    "random bytes": st.binary(max_size=4096),
    "truncated seeds": truncated_seed(),
    "shuffled lines": shuffled_lines(),
    "huge lines": huge_lines(),
    "NUL bytes": nul_bytes(),
    "invalid UTF-8": invalid_utf8(),
    "mixed line endings": mixed_line_endings(),
    "combined": anything(),
}


# For ingest, mostly files that keep a date line and so have papers to store.
INGESTED = st.one_of(
    truncated_seed(),
    mixed_line_endings(),
    invalid_utf8(),
    anything(),
    shuffled_lines(),
    huge_lines(),
    nul_bytes(),
    st.binary(max_size=512),
)


def check_parse(data: bytes, source: str = "fuzz.txt") -> str:
    """Parse, check the contract, and return the outcome: "papers" or "error"."""
    digest = parse_bytes(data, source, TODAY)
    papers = prepare(digest)
    line_count = len(_split_lines(data))
    for problem in digest.problems:
        assert problem.message and str(problem).startswith(source)
        assert problem.line is None or 1 <= problem.line <= line_count, (problem, line_count)
    if digest.day is not None and papers:
        # Papers plus problems, each problem naming its line.
        assert all(problem.line is not None for problem in digest.problems), digest.problems
        for paper in papers:
            assert paper.title.strip() and paper.abstract.strip()
            assert not set("\r\n") & set(paper.title + paper.abstract)
            assert paper.title_key
        for parsed in digest.papers:
            assert 1 <= parsed.line <= line_count
        return "papers"
    # Nothing to store: the reason is given (ingest adds "no papers found" for a bare date).
    assert digest.problems or (digest.day is not None and not digest.papers)
    return "error"


@pytest.mark.soak
@pytest.mark.parametrize("kind", list(KINDS))
def test_parser_never_fails_on_generated_files(kind: str, request) -> None:
    started = time.perf_counter()
    outcomes: Counter[str] = Counter()

    @FUZZ
    @given(data=KINDS[kind])
    def fuzz(data: bytes) -> None:
        outcomes[check_parse(data)] += 1

    fuzz()
    PARSED[kind] += outcomes.total()
    PARSED["papers"] += outcomes["papers"]
    PARSED["error"] += outcomes["error"]
    PARSED["seconds"] += round(time.perf_counter() - started, 2)
    files = sum(PARSED[name] for name in KINDS)
    record(
        request,
        "Digest parser, property-based fuzzing (hypothesis)",
        order=10,
        key="digest-parse-fuzz",
        target="tests/test_reliability_digest.py::test_parser_never_fails_on_generated_files",
        inputs=f"{files:,} generated files: "
        + ", ".join(f"{name} {PARSED[name]}" for name in KINDS if PARSED[name]),
        faults="bad input only",
        delivered=f"{files:,} outcomes",
        lost="0 exceptions",
        duplicated="—",
        outcome=f"{PARSED['papers']:,} gave papers + problems with line numbers, "
        f"{PARSED['error']:,} one clear error (nothing stored); "
        f"{PARSED['seconds']:.1f} s",
    )
    assert outcomes.total() >= 1


def test_files_over_the_size_limit_and_unreadable_files_are_one_clear_error(
    tmp_path: Path, request
) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    missing = tmp_path / "missing.txt"
    folder = tmp_path / "a-folder.txt"
    folder.mkdir()
    results = []
    for path in (big, missing, folder):
        digest = parse_file(path, TODAY)
        results.append(digest)
        assert digest.papers == [] and digest.day is None
        assert len(digest.problems) == 1
    assert "limit" in results[0].problems[0].message
    assert "cannot read" in results[1].problems[0].message
    record(
        request,
        "Digest file over 20 MB, missing, or a folder",
        order=11,
        inputs="3 files",
        faults="bad input only",
        delivered="3 outcomes",
        lost="0 exceptions",
        duplicated="—",
        outcome="each one clear error, nothing read into memory past the size check",
    )


# -- ingest: all or nothing ---------------------------------------------------------------


async def _counts(db: Database, day: dt.date | None) -> tuple[int, int, int, int]:
    papers = await paper_count(db)
    digests = await db.connection.scalar("SELECT count(*) FROM digests")
    appearances = await db.connection.scalar("SELECT count(*) FROM appearances")
    on_day = await db.archive.day_paper_count(day) if day else 0
    return papers, digests, appearances, on_day


class InjectedFault(Exception):
    pass


@pytest.mark.soak
def test_ingest_of_generated_files_is_all_or_nothing(tmp_path: Path, request) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    stats: Counter[str] = Counter()
    with asyncio.Runner() as runner:
        db = runner.run(Database.open(tmp_path / "fuzz.db"))
        catalog = runner.run(Catalog.load(db))
        rng = random.Random(20260314)
        try:

            @settings(
                deadline=None,
                suppress_health_check=list(HealthCheck),
                max_examples=budget(120, 1200),
            )
            @given(data=INGESTED, fault=st.sampled_from([None, 1, 2, 3]))
            def fuzz(data: bytes, fault: int | None) -> None:
                stats["files"] += 1
                # Vary the day so files pile up on several days, as in production.
                day = dt.date(2026, 3, 1) + dt.timedelta(days=rng.randrange(20))
                data = re.sub(rb"Mar 1[34]", f"{day:%b} {day.day}".encode(), data, count=1)
                path = folder / f"{stats['files']:05d}.txt"
                path.write_bytes(data)
                runner.run(_ingest_and_check(catalog, path, fault, stats))

            fuzz()
        finally:
            runner.run(db.close())
    record(
        request,
        "Ingest of generated files into a real database",
        order=12,
        inputs=f"{stats['files']} generated files (all kinds above)",
        faults=f"{stats['faulted']} transactions failed at a random step (papers, FTS, "
        "appearances insert)",
        delivered=f"{stats['stored']} files stored whole "
        f"({stats['already']} already known, {stats['nothing']} with nothing to store)",
        lost=f"{stats['partial']} partial writes",
        duplicated=f"{stats['duplicated']}",
        outcome="every file all-or-nothing; a faulted file stored whole on retry",
    )
    assert stats["partial"] == 0 and stats["duplicated"] == 0


async def _ingest_and_check(
    catalog: Catalog, path: Path, fault: int | None, stats: Counter[str]
) -> None:
    db = catalog.db
    digest = parse_file(path, TODAY)
    papers = prepare(digest)
    before = await _counts(db, digest.day)
    if fault is not None and digest.day is not None and papers:
        # Fail inside the transaction, after `fault` statements of the write ran.
        original = db.connection.execute_many
        calls = {"n": 0}

        async def failing(sql, rows):
            calls["n"] += 1
            if calls["n"] == fault:
                raise InjectedFault(sql)
            return await original(sql, rows)

        db.connection.execute_many = failing
        try:
            report = await ingest_file(catalog, path, TODAY)
        except InjectedFault:
            stats["faulted"] += 1
            if await _counts(db, digest.day) != before:
                stats["partial"] += 1
        else:
            assert report.outcome is not None and report.outcome.already_ingested
        finally:
            del db.connection.execute_many
        before = await _counts(db, digest.day)
    report = await ingest_file(catalog, path, TODAY)
    after = await _counts(db, digest.day)
    if report.outcome is None:
        stats["nothing"] += 1
        if after != before:
            stats["partial"] += 1
        return
    if report.outcome.already_ingested:
        stats["already"] += 1
        if after != before:
            stats["partial"] += 1
        return
    stats["stored"] += 1
    outcome = report.outcome
    # Every paper of the file is on its day, and the counts moved by exactly what was added.
    ids = {key: await db.archive.paper_id_by_key(key) for key in {p.title_key for p in papers}}
    ids = {key: paper_id for key, paper_id in ids.items() if paper_id is not None}
    day_ids = set(await db.archive.day_paper_ids(outcome.day))
    if len(ids) != len(papers) or not set(ids.values()) <= day_ids:
        stats["partial"] += 1
    expected = (
        before[0] + outcome.new_papers,
        before[1] + 1,
        before[2] + outcome.added_to_day,
        before[3] + outcome.added_to_day,
    )
    if after != expected:
        stats["partial"] += 1
    if len(day_ids) != after[3]:
        stats["duplicated"] += 1
