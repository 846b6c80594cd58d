"""The Hub fixture days: in step with their generator, and through ingest like any digest."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from bot.digest import PaperMeta, parse_file
from bot.ingest import ingest_paths, prepare_file
from bot.search import Catalog
from tests.fixtures.hub import make_fixtures
from tests.test_digest_json import paper, wrapped

FIXTURES = make_fixtures.HERE


def test_the_fixture_files_are_what_the_generator_makes() -> None:
    for path, content in make_fixtures.build().items():
        assert json.loads(path.read_text(encoding="utf-8")) == content, path


# -- the fixture days ------------------------------------------------------------------


def test_normal_fixture_day() -> None:
    digest = parse_file(FIXTURES / "hf-2026-03-16.json")
    assert digest.day == dt.date(2026, 3, 16)
    assert len(digest.papers) == 20 and not digest.problems
    first = digest.papers[0]
    assert first.item == 0 and first.line is None
    assert first.meta.arxiv_id == "2603.99001"
    assert first.meta.authors and first.meta.upvotes is not None
    assert "\n" not in first.abstract and "\n" not in first.title
    assert digest.file_signature is not None and len(digest.content_hash) == 64


def test_long_fixture_day_has_more_than_two_pages_worth() -> None:
    assert len(parse_file(FIXTURES / "hf-2026-03-17.json").papers) == 115


def test_messy_fixture_day_loads_the_good_items_and_names_the_bad() -> None:
    digest = parse_file(FIXTURES / "hf-2026-03-18.json")
    assert len(digest.papers) == 12
    assert [(problem.item, problem.line) for problem in digest.problems] == [
        (9, None),
        (10, None),
        (12, None),
        (13, None),
        (14, None),
    ]
    by_item = {paper.item: paper for paper in digest.papers}
    assert "Yann LeCun" in by_item[0].meta.authors
    assert by_item[1].meta.authors[0] == "Yann LeCunff"
    assert by_item[2].meta.authors == ("Łukasz Kaiser", "Zoë Ångström", "Nguyễn Văn An")
    assert by_item[3].meta == PaperMeta(arxiv_id=by_item[3].meta.arxiv_id)
    assert by_item[4].meta == PaperMeta()  # no `paper` object at all
    assert by_item[5].meta.authors == ()  # the only author is hidden
    assert by_item[6].meta.upvotes == 12 and by_item[6].meta.github_stars is None
    assert by_item[6].meta.organization == "Fixture Lab C"
    assert by_item[7].meta.arxiv_id == "cs/9912999"
    assert by_item[8].meta.arxiv_id == "2603.99208"
    assert by_item[9].meta.arxiv_id is None
    assert by_item[11].meta.project_url is None  # javascript: is no web page


def test_bare_array_fixture_takes_the_day_from_the_file_name() -> None:
    digest = parse_file(FIXTURES / "hf-2026-03-19.json")
    assert digest.day == dt.date(2026, 3, 19)
    assert len(digest.papers) == 5 and not digest.problems


# -- through ingest ---------------------------------------------------------------------


def test_an_empty_day_is_reported_by_ingest(tmp_path: Path) -> None:
    path = tmp_path / "hf-2026-03-14.json"
    path.write_text(json.dumps(wrapped()))
    prepared = prepare_file(path)
    assert prepared.digest is None
    assert [problem.message for problem in prepared.report.problems] == ["no papers found"]


def test_a_repeated_title_is_named_by_item(tmp_path: Path) -> None:
    path = tmp_path / "hf-2026-03-14.json"
    path.write_text(
        json.dumps(wrapped(paper("Same"), paper("Other", id="2405.04683"), paper("same")))
    )
    prepared = prepare_file(path)
    assert prepared.digest is not None and len(prepared.digest.papers) == 2
    assert [str(problem) for problem in prepared.report.problems] == [
        f"{path}: item 2: title repeated in this file; kept the first"
    ]


def test_a_repeated_arxiv_id_is_one_paper_and_a_shared_title_two(tmp_path: Path) -> None:
    path = tmp_path / "hf-2026-03-14.json"
    items = [paper("Same"), paper("Renamed"), paper("Same", id="2405.04683")]
    path.write_text(json.dumps(wrapped(*items)))
    prepared = prepare_file(path)
    assert prepared.digest is not None
    assert [(p.title, p.title_key) for p in prepared.digest.papers] == [
        ("Same", "same"),
        ("Same", "same [2405.04683]"),
    ]
    assert [str(problem) for problem in prepared.report.problems] == [
        f"{path}: item 1: arXiv id repeated in this file; kept the first"
    ]


async def test_fixture_days_ingest_beside_the_seeds(catalog: Catalog, seeds_dir: Path) -> None:
    for path in FIXTURES.glob("hf-*.json"):
        (seeds_dir / path.name).write_bytes(path.read_bytes())
    reports = await ingest_paths(catalog, [seeds_dir], today=dt.date(2026, 11, 22))
    stored = {Path(report.source).name: report for report in reports if report.stored}
    assert len(stored) == 6
    assert stored["hf-2026-03-17.json"].outcome.known_papers == 115  # seed papers, known
    days = [summary.day for summary in await catalog.known_days()]
    assert dt.date(2026, 3, 19) in days
