"""Authors in /search (bot.names, bot.author_search, Catalog.ranked) and arXiv ids in
/paper (bot.arxiv), over the seeds and the Hub fixture days."""

from __future__ import annotations

import pytest

from bot import names
from bot.arxiv import abstract_url, arxiv_reference, hugging_face_url, pdf_url
from bot.ingest import ingest_paths
from bot.search import Catalog
from tests.conftest import TODAY
from tests.hub_server import FIXTURES


@pytest.fixture
async def hub_days(seeded: Catalog) -> Catalog:
    """The seeds, then the Hub fixture days (the same papers, with invented authors)."""
    await ingest_paths(seeded, sorted(FIXTURES.glob("hf-*.json")), today=TODAY)
    return seeded


async def titles(catalog: Catalog, query: str) -> list[str]:
    return [paper.title for paper in await catalog.papers((await catalog.search(query)).ids)]


async def authors_of(catalog: Catalog, query: str) -> list[tuple[str, ...]]:
    return [paper.meta.authors for paper in await catalog.papers((await catalog.search(query)).ids)]


# -- names -----------------------------------------------------------------------------


def test_a_name_is_one_folded_token() -> None:
    assert names.author_token("Yann  LeCun") == "yann_lecun"
    assert names.author_token("Łukasz Kaiser") == names.author_token("lukasz kaiser")
    assert names.author_token("Zoë Ångström") == "zoe_angstrom"
    assert names.author_token("Jae-won Petrov") == "jae_won_petrov"
    assert names.author_token("?!") == ""
    assert names.index_text(["A B", "a  b", "C D", "..."]) == "a_b c_d"


def test_query_runs_and_the_names_picked() -> None:
    runs = names.query_runs(["yann", "lecun", "world", "models"])
    assert runs["yann_lecun"] == (0, 2) and runs["yann_lecun_world_models"] == (0, 4)
    assert "yann" not in runs  # one word is never a name
    chosen, used = names.pick_names(runs, ["lecun_world", "yann_lecun_world"])
    assert (chosen, used) == (["yann_lecun_world"], {0, 1, 2})


# -- /search ---------------------------------------------------------------------------


async def test_an_author_query_finds_that_authors_papers_only(hub_days: Catalog) -> None:
    found = await authors_of(hub_days, "Yann LeCun")
    assert found and all("Yann LeCun" in authors for authors in found)
    assert not any("Yann LeCunff" in authors for authors in found)
    assert await titles(hub_days, "yann lecunff") == [
        "Self-Supervised Alignment with Mutual Information: Learning to Follow Principles "
        "without Preference Labels"
    ]


async def test_an_author_and_words_narrow_down(hub_days: Catalog) -> None:
    everything = (await hub_days.search("Nadia Petrov")).ids
    narrowed = await titles(hub_days, "Nadia Petrov hallucinations")
    assert len(everything) > len(narrowed) >= 1
    assert narrowed[0] == "Distinguishing Ignorance from Error in LLM Hallucinations"
    results = await hub_days.search("hallucinations Nadia Petrov")  # the name anywhere
    assert results.terms == ("hallucination",) and results.unknown == ()  # no "nadia"
    assert results.papers[0].title == narrowed[0]


async def test_two_authors_mean_their_papers_together(hub_days: Catalog) -> None:
    together = await authors_of(hub_days, "Nadia Petrov Ilya Eriksen")
    assert together and all({"Nadia Petrov", "Ilya Eriksen"} <= set(a) for a in together)


async def test_accents_need_not_be_typed(hub_days: Catalog) -> None:
    expected = [("Łukasz Kaiser", "Zoë Ångström", "Nguyễn Văn An")]
    assert await authors_of(hub_days, "lukasz kaiser") == expected
    assert await authors_of(hub_days, "Nguyen Van An") == expected


async def test_an_author_with_words_none_of_their_papers_has_is_a_text_search(
    hub_days: Catalog,
) -> None:
    results = await hub_days.search("Yann LeCun diffusion")
    assert results.ids and results.terms == ("diffusion",)
    assert all("Yann LeCun" not in paper.meta.authors for paper in results.papers)


async def test_queries_naming_no_author_rank_as_before(seeded: Catalog, hub_days: Catalog) -> None:
    # hub_days is seeded plus the fixture days: the same papers, so the same ranking.
    for query in ("concept bottleneck", "text to video generation", "reward tampering"):
        assert (await hub_days.search(query)).ids == (await hub_days.rank(query))


# -- /paper by arXiv id ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2603.99001",
        "2603.99001v2",
        "arXiv:2603.99001",
        "ARXIV: 2603.99001v1",
        "https://arxiv.org/abs/2603.99001",
        "https://arxiv.org/abs/2603.99001v3",
        "https://arxiv.org/pdf/2603.99001",
        "https://arxiv.org/pdf/2603.99001v1.pdf",
        "http://export.arxiv.org/abs/2603.99001",
        "arxiv.org/abs/2603.99001",
        "https://huggingface.co/papers/2603.99001",
        "huggingface.co/papers/2603.99001/",
    ],
)
async def test_paper_by_arxiv_id_or_url(hub_days: Catalog, value: str) -> None:
    assert arxiv_reference(value) == "2603.99001"
    found = await hub_days.find_paper(value)
    assert found is not None and found.title.startswith("TALC: Time-Aligned Captions")


async def test_old_style_ids_and_unknown_ids(hub_days: Catalog) -> None:
    old = await hub_days.find_paper("https://arxiv.org/abs/cs/9912999v2")
    assert old is not None and old.title == "The False Promise of Imitating Proprietary LLMs"
    assert await hub_days.find_paper("2501.00001") is None  # an id, not in the archive


@pytest.mark.parametrize(
    "value",
    [
        "Post-hoc Concept Bottleneck Models",
        "2405",
        "https://example.org/abs/2405.04682",
        "https://arxiv.org/list/cs.CL/recent",
        "https://huggingface.co/papers",
        "0612.1234",  # before the new scheme began
        "arxiv:",
    ],
)
def test_other_values_are_not_arxiv_references(value: str) -> None:
    assert arxiv_reference(value) is None


def test_pages_of_an_id() -> None:
    assert abstract_url("2405.04682") == "https://arxiv.org/abs/2405.04682"
    assert pdf_url("cs/9912999") == "https://arxiv.org/pdf/cs/9912999"
    assert hugging_face_url("2405.04682") == "https://huggingface.co/papers/2405.04682"
