"""bot.storage.archive: which stored paper a digest's paper is, and its Hub metadata."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from bot.ingest import ingest_file
from bot.models import Paper
from bot.search import Catalog
from tests.helpers import paper_count
from tests.test_digest_json import ABSTRACT, paper, wrapped

MAR14 = dt.date(2026, 3, 14)
MAR15 = dt.date(2026, 3, 15)


def hub_day(folder: Path, day: str, *items: Any, fetched_at: str | None = None) -> Path:
    """A Hub day file; a distinct `fetched_at` (default: the next day, 02:00) each call."""
    document = wrapped(*items, day=day)
    document["fetched_at"] = fetched_at or f"{dt.date.fromisoformat(day) + dt.timedelta(1)}T02:00Z"
    path = folder / f"hf-{day}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def text_day(folder: Path, day: str, *titles: str) -> Path:
    path = folder / f"digest-{day}.txt"
    abstract = " ".join(ABSTRACT.split())
    blocks = "\n\n".join(f"{title}\n\n{abstract}" for title in titles)
    path.write_text(f"{day}\n\n{blocks}\n", encoding="utf-8")
    return path


async def only_paper(catalog: Catalog) -> Paper:
    assert await paper_count(catalog.db) == 1
    (found,) = await catalog.papers([1])
    return found


async def test_hub_metadata_is_stored_and_read_back(catalog: Catalog, tmp_path: Path) -> None:
    item = paper(
        "Sparse Widgets",
        authors=[
            {"name": "Ada Lovelace"},
            {"name": "Hid", "hidden": True},
            {"name": "Alan Turing"},
        ],
        upvotes=41,
        githubRepo="https://github.com/lab/widgets",
        githubStars=7,
        projectPage="https://lab.example/widgets",
        ai_summary="Widgets, sparsely.",
        ai_keywords=["widgets", "sparsity"],
        organization={"name": "lab", "fullname": "The Lab"},
        publishedAt="2026-03-12T10:00:00.000Z",
    )
    await ingest_file(catalog, hub_day(tmp_path, "2026-03-14", item))
    found = await only_paper(catalog)
    meta = found.meta
    assert meta.arxiv_id == "2405.04682" and meta.authors == ("Ada Lovelace", "Alan Turing")
    assert (meta.upvotes, meta.comments, meta.github_stars) == (41, 3, 7)
    assert meta.github_url == "https://github.com/lab/widgets"
    assert meta.project_url == "https://lab.example/widgets"
    assert (meta.ai_summary, meta.ai_keywords) == ("Widgets, sparsely.", ("widgets", "sparsity"))
    assert (meta.organization, meta.published_on) == ("The Lab", dt.date(2026, 3, 12))
    assert found.code_url == "https://github.com/lab/widgets" and found.days == (MAR14,)


async def test_the_arxiv_id_wins_over_a_revised_title(catalog: Catalog, tmp_path: Path) -> None:
    await ingest_file(catalog, hub_day(tmp_path, "2026-03-14", paper("Widgets, First Title")))
    report = await ingest_file(catalog, hub_day(tmp_path, "2026-03-15", paper("Widgets Revised")))
    assert report.outcome is not None and report.outcome.known_papers == 1
    found = await only_paper(catalog)
    # The text stays as first stored: the index and term counts assume papers never change.
    assert found.title == "Widgets, First Title" and found.days == (MAR14, MAR15)


async def test_a_title_only_paper_gains_its_arxiv_id(catalog: Catalog, tmp_path: Path) -> None:
    await ingest_file(catalog, text_day(tmp_path, "2026-03-13", "Sparse Widgets"))
    assert (await only_paper(catalog)).meta.arxiv_id is None
    await ingest_file(
        catalog, hub_day(tmp_path, "2026-03-14", paper("Sparse  widgets!", upvotes=5))
    )
    found = await only_paper(catalog)
    assert found.meta.arxiv_id == "2405.04682" and found.meta.upvotes == 5
    # From now on the id finds it, whatever the title says.
    await ingest_file(catalog, hub_day(tmp_path, "2026-03-15", paper("Widgets, Sparsely")))
    assert len((await only_paper(catalog)).days) == 3


async def test_two_papers_may_share_a_title(catalog: Catalog, tmp_path: Path) -> None:
    await ingest_file(catalog, hub_day(tmp_path, "2026-03-14", paper("Attention")))
    await ingest_file(catalog, hub_day(tmp_path, "2026-03-15", paper("Attention", id="2405.04683")))
    papers = await catalog.papers([1, 2])
    assert [(p.title, p.meta.arxiv_id) for p in papers] == [
        ("Attention", "2405.04682"),
        ("Attention", "2405.04683"),
    ]
    # A text digest naming the title is the first of them, as before.
    await ingest_file(catalog, text_day(tmp_path, "2026-03-16", "Attention"))
    assert [len(p.days) for p in await catalog.papers([1, 2])] == [2, 1]


async def test_a_refetched_day_updates_counts_and_links_without_adding_anything(
    catalog: Catalog, tmp_path: Path
) -> None:
    first = paper("Sparse Widgets", upvotes=3)
    await ingest_file(
        catalog, hub_day(tmp_path, "2026-03-14", first, paper("Other", id="2405.11111"))
    )
    again = paper("Sparse Widgets", upvotes=30, githubRepo="https://github.com/lab/widgets")
    again["numComments"] = 9
    path = hub_day(tmp_path, "2026-03-14", again, fetched_at="2026-03-16T02:00Z")
    report = await ingest_file(catalog, path)
    assert report.outcome is not None
    assert (report.outcome.new_papers, report.outcome.added_to_day) == (0, 0)
    assert await catalog.day(MAR14) == await catalog.papers([1, 2])
    (found,) = await catalog.papers([1])
    assert (found.meta.upvotes, found.meta.comments) == (30, 9)
    assert found.code_url == "https://github.com/lab/widgets"


async def test_an_older_fetch_read_later_does_not_undo_a_newer_one(
    catalog: Catalog, tmp_path: Path
) -> None:
    newer = hub_day(tmp_path, "2026-03-15", paper(upvotes=50), fetched_at="2026-03-17T02:00Z")
    await ingest_file(catalog, newer)
    older = hub_day(tmp_path, "2026-03-14", paper(upvotes=5), fetched_at="2026-03-15T02:00Z")
    await ingest_file(catalog, older)
    found = await only_paper(catalog)
    assert found.meta.upvotes == 50 and found.days == (MAR14, MAR15)


async def test_a_text_digest_or_a_sparser_fetch_erases_no_metadata(
    catalog: Catalog, tmp_path: Path
) -> None:
    full = paper("Sparse Widgets", upvotes=8, ai_summary="In short.", authors=[{"name": "A B"}])
    await ingest_file(catalog, hub_day(tmp_path, "2026-03-14", full))
    await ingest_file(catalog, text_day(tmp_path, "2026-03-15", "Sparse Widgets"))
    await ingest_file(catalog, hub_day(tmp_path, "2026-03-16", paper("Sparse Widgets")))
    found = await only_paper(catalog)
    assert (found.meta.upvotes, found.meta.ai_summary, found.meta.authors) == (
        8,
        "In short.",
        ("A B",),
    )
    assert len(found.days) == 3


async def test_changed_authors_are_searched_as_they_now_are(
    catalog: Catalog, tmp_path: Path
) -> None:
    before = paper("Sparse Widgets", authors=[{"name": "Ada Lovelace"}, {"name": "Alan Turing"}])
    await ingest_file(catalog, hub_day(tmp_path, "2026-03-14", before))
    assert (await catalog.search("Alan Turing")).ids == [1]
    after = paper("Sparse Widgets", authors=[{"name": "Ada Lovelace"}, {"name": "Grace Hopper"}])
    await ingest_file(catalog, hub_day(tmp_path, "2026-03-15", after))
    assert (await catalog.search("Grace Hopper")).ids == [1]
    assert (await catalog.search("Ada Lovelace")).ids == [1]
    assert (await catalog.search("Alan Turing")).ids == []
