"""bot.lists: /search and /digest pages, the menu that opens a paper, and the lines
around them, within Discord's limits for any text."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import lists
from bot.digest import PaperMeta
from bot.models import Paper

DAY = dt.date(2026, 3, 14)


def paper(title="A Title", abstract="An abstract.", paper_id=1, **meta) -> Paper:
    return replace(Paper(paper_id, title, abstract, (), (DAY,)), meta=PaperMeta(**meta))


def test_search_titles_and_notes_use_plurals_and_stay_inert():
    assert lists.search_title(1, "widgets") == "🔎 1 result for “widgets”"
    assert lists.search_title(12, "*x* @everyone") == "🔎 12 results for “\\*x\\* @\u200beveryone”"
    assert lists.query_note("concept bottleneck", ()) == "Showing results for: *concept bottleneck*"
    assert lists.query_note(None, ()) is None


def test_excerpt_bolds_query_words_and_cuts_at_words():
    abstract = "Intro words. " * 30 + "We train *diffusion* models on <@123> data. " * 10
    shown = lists.excerpt(abstract, ["diffusion", "model"])
    assert "**models**" in shown and "\\***diffusion**\\*" in shown
    assert shown.startswith("…") and shown.endswith("…")
    assert "<@123>" not in shown
    words = shown.strip("…").replace("*", "").replace("\\", "").replace("\u200b", "").split()
    assert all(word in abstract for word in words)  # whole words only


def test_a_digest_page_numbers_links_and_counts():
    papers = [
        paper("Linked [Re]", paper_id=1, arxiv_id="2405.04682", upvotes=41),
        paper("Plain *Title*", paper_id=2),
    ]
    embed = lists.digest_page(DAY, papers, total=87, first_rank=11, page=2, pages=9)
    assert embed.title == "📰 Daily Papers — Saturday, March 14, 2026 · 87 papers"
    assert embed.description.split("\n") == [
        "**11.** [Linked \\[Re\\]](https://arxiv.org/abs/2405.04682) · ▲ 41",
        "**12.** Plain \\*Title\\*",
    ]
    assert embed.footer.text == "page 2 of 9"


def test_the_open_menu_lists_the_page_in_order_with_what_is_known():
    papers = [
        paper("A *starred* ``TeX'' title", paper_id=7, upvotes=3, authors=("Ada", "Alan")),
        paper("Word " * 40, paper_id=8),
    ]
    first, second = lists.open_options(papers, first_rank=21)
    assert (first.label, first.value, first.description) == (
        "21. A *starred* “TeX” title",  # menus show text as typed: no escapes
        "7",
        "▲ 3 · Ada, Alan",
    )
    assert second.label.endswith("Word…") and len(second.label) <= 100
    assert second.description == "Mar 14, 2026"


ODD_TEXT = st.text(min_size=1, max_size=700)


@settings(max_examples=120, deadline=None)
@given(
    titles=st.lists(ODD_TEXT, min_size=1, max_size=30),
    abstract=st.text(max_size=4000),
    query=st.text(max_size=300),
    upvotes=st.none() | st.integers(0, 10**9),
)
def test_any_page_and_menu_fit_discords_limits(titles, abstract, query, upvotes):
    papers = [
        paper(title, abstract, paper_id=n, arxiv_id="2405.04682", upvotes=upvotes)
        for n, title in enumerate(titles)
    ]
    note = lists.query_note(query or None, [query] * 20)
    title = lists.search_title(len(papers), query)
    for embed in (
        lists.search_page(
            title, papers[:5], first_rank=1, page=1, pages=10, terms=["a"], note=note
        ),
        lists.digest_page(DAY, papers[:10], total=len(papers), first_rank=1, page=1, pages=3),
    ):
        assert len(embed.title) <= 256 and len(embed.description or "") <= 4096
        assert len(embed) <= 6000
        assert "@everyone" not in (embed.description or "")
    options = lists.open_options(papers, first_rank=1)
    assert 1 <= len(options) <= 25
    assert len({option.value for option in options}) == len(options)
    for option in options:
        assert 0 < len(option.label) <= 100 and 0 < len(option.value) <= 100
        assert len(option.description or "") <= 100
    assert len(lists.random_heading(query)) <= 2000


def test_the_shared_line_names_the_member_and_a_random_pick_its_topic():
    assert lists.shared_by(42) == "📤 Shared by <@42>"
    assert lists.random_heading("diffusion") == "🎲 Random paper on “diffusion”"
    assert lists.random_heading(None) == "🎲 Random paper"
