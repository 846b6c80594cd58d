"""Rendering respects Discord's limits by construction and shows hostile text literally."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import render
from bot.digest import Link, PaperMeta
from bot.models import Paper

DAY = dt.date(2026, 3, 14)
HOSTILE = (
    "@everyone @here <@123> <@!123> <@&456> <#789> *bold* __under__ ||spoiler|| `code` > quote"
)


def paper(title="A Title", abstract="An abstract.", links=(), days=(DAY,), paper_id=1) -> Paper:
    return Paper(paper_id, title, abstract, tuple(links), tuple(days))


def test_oversized_title_and_abstract_are_cut_with_an_ellipsis():
    embed = render.paper_embed(paper("T" * 300, "word " * 2000))
    assert len(embed.title) == 256 and embed.title.endswith("…")
    assert len(embed.description) == 4096 and embed.description.endswith("…")
    assert len(embed) <= 6000


def test_a_short_abstract_is_shown_whole_without_ellipsis():
    abstract = "We propose a thing. It works."
    assert render.paper_embed(paper(abstract=abstract)).description == abstract


def test_hostile_text_is_escaped_not_obeyed():
    shown = render.safe(HOSTILE)
    assert "@everyone" not in shown and "@here" not in shown
    for raw in ("<@123>", "<@!123>", "<@&456>", "<#789>"):
        assert raw not in shown
    assert "\\*bold\\*" in shown and "\\|\\|spoiler\\|\\|" in shown and "\\`code\\`" in shown


def test_clip_never_leaves_a_dangling_escape():
    clipped = render.safe_clip("*" * 500, 100)
    assert len(clipped) <= 100
    body = clipped.removesuffix("…")
    assert (len(body) - len(body.rstrip("\\"))) % 2 == 0


def test_excerpt_bolds_query_words_and_escapes_the_rest():
    abstract = "Intro words. " * 30 + "We train *diffusion* models on <@123> data."
    shown = render.excerpt(abstract, ["diffusion", "model"])
    assert "**models**" in shown
    assert shown.startswith("…")
    assert "<@123>" not in shown


def test_list_page_fields_fit_their_limits():
    papers = [paper("T" * 400, "x " * 3000, paper_id=i) for i in range(5)]
    embed = render.list_page("Results", papers, first_rank=1, page=1, pages=3, terms=["x"])
    assert embed.footer.text == "page 1 of 3"
    assert all(len(f.name) <= 256 and len(f.value) <= 1024 for f in embed.fields)
    assert len(embed) <= 6000


def test_post_embed_marks_papers_seen_before_and_links_code():
    earlier = dt.date(2026, 3, 13)
    links = (Link("https://github.com/a/b", "code"),)
    embed = render.post_embed(paper(links=links, days=(earlier, DAY)), DAY, 3)
    assert embed.title.startswith("3. ")
    assert "also on Mar 13, 2026" in embed.description
    assert "https://github.com/a/b" in embed.description
    fresh = render.post_embed(paper(days=(DAY,)), DAY, 1)
    assert "also on" not in fresh.description


def test_pack_respects_ten_embeds_and_six_thousand_characters():
    rng = random.Random(7)
    embeds = [
        discord.Embed(title="t" * rng.randint(1, 256), description="d" * rng.randint(0, 2500))
        for _ in range(95)
    ]
    messages = render.pack(embeds)
    assert [e for message in messages for e in message] == embeds
    for message in messages:
        assert len(message) <= 10
        assert sum(len(e) for e in message) <= 6000


def test_ten_thread_embeds_always_fit_one_message():
    links = (
        Link("https://github.com/" + "a" * 200, "code"),
        Link("https://x.io/" + "b" * 200, "project"),
    )
    worst = paper("T" * 300, "word " * 2000, links=links, days=(dt.date(2026, 3, 1), DAY))
    embeds = [render.post_embed(worst, DAY, 100) for _ in range(100)]
    assert len(render.pack(embeds)) == 10


def test_a_ninety_paper_day_packs_into_about_ten_messages():
    abstract = "An abstract sentence of ordinary length. " * 40
    embeds = [render.post_embed(paper(f"Paper {i}", abstract), DAY, i) for i in range(90)]
    assert len(render.pack(embeds)) <= 10


def test_day_header_names_the_day_and_fits():
    papers = [paper(f"{HOSTILE} {i}" * 5) for i in range(87)]
    header = render.day_header(DAY, papers)
    assert "Daily Papers — Saturday, March 14, 2026" in header
    assert "87 papers" in header
    assert len(header) <= 2000
    assert "@everyone" not in header


@settings(max_examples=200, deadline=None)
@given(title=st.text(max_size=600), abstract=st.text(max_size=9000))
def test_any_text_renders_within_limits(title, abstract):
    embed = render.paper_embed(paper(title or "x", abstract or "y"))
    assert len(embed.title) <= 256
    assert len(embed.description) <= 4096
    assert len(embed) <= 6000
    assert len(render.choice_name(title)) <= 100


# -- Hub metadata on cards ---------------------------------------------------------------

HUB = PaperMeta(
    arxiv_id="2405.04682",
    authors=("Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"),
    upvotes=1234,
    github_url="https://github.com/lab/repo",
    ai_summary="Widgets get sparse, and *faster*.",
)
HUB_LINKS = (
    Link("https://github.com/lab/repo", "code"),
    Link("https://lab.github.io/repo/", "project"),
    Link("https://github.com/Lab/Repo.git", "code"),  # the same repository again
)


def hub_paper(meta: PaperMeta = HUB, links=HUB_LINKS, **fields) -> Paper:
    return replace(paper(links=links, **fields), meta=meta)


def test_a_hub_card_has_authors_upvotes_the_summary_and_each_link_once():
    embed = render.post_embed(hub_paper(abstract="A long abstract."), DAY, 1)
    assert embed.url == "https://arxiv.org/abs/2405.04682"
    lines = embed.description.split("\n")
    assert lines[0] == "Ada Lovelace, Alan Turing, Grace Hopper et al. · ▲ 1,234"
    assert lines[1] == "Widgets get sparse, and \\*faster\\*."  # the summary, not the abstract
    assert lines[2] == (
        "[PDF](https://arxiv.org/pdf/2405.04682) · "
        "[Hugging Face](https://huggingface.co/papers/2405.04682) · "
        "[Code](https://github.com/lab/repo) · [Project page](https://lab.github.io/repo/)"
    )
    assert embed.description.count("github.com") == 1


def test_a_card_without_metadata_looks_as_before():
    links = (Link("https://github.com/a/b", "code"),)
    embed = render.post_embed(paper(abstract="We study things.", links=links), DAY, 2)
    assert embed.url == render.arxiv_search_url("A Title")
    assert embed.description == "We study things.\n[Code](https://github.com/a/b)"


def test_few_authors_and_unknown_upvotes():
    meta = PaperMeta(authors=("Ada Lovelace",), upvotes=None)
    assert render.byline(hub_paper(meta)) == "Ada Lovelace"
    assert render.byline(hub_paper(PaperMeta(upvotes=0))) == "▲ 0"
    assert render.byline(paper()) == ""


def test_the_worst_hub_card_still_fits_ten_to_a_message():
    meta = PaperMeta(
        arxiv_id="2405.04682",
        authors=tuple(f"{HOSTILE} {n}" * 3 for n in range(300)),
        upvotes=10**9 - 1,
        ai_summary="word " * 3000,
    )
    links = (
        Link("https://github.com/" + "a" * 480, "code"),
        Link("https://x.io/" + "b" * 490, "project"),
    )
    worst = hub_paper(meta, links, title="T" * 300, days=(dt.date(2026, 3, 1), DAY))
    embed = render.post_embed(worst, DAY, 100)
    assert len(embed) <= render.POST_EMBED_CHARS and "@everyone" not in embed.description
    assert "[PDF]" in embed.description  # the short links stay, the long ones go
    assert len(render.pack([embed] * 100)) == 10


def test_paper_embed_and_buttons_with_metadata():
    embed = render.paper_embed(hub_paper(abstract="The full abstract."))
    assert embed.url == "https://arxiv.org/abs/2405.04682"
    assert embed.description == "The full abstract."
    fields = {field.name: field.value for field in embed.fields}
    assert fields["Authors"] == "Ada Lovelace, Alan Turing, Grace Hopper et al."
    assert fields["Upvotes"] == "▲ 1,234" and "Links" not in fields
    buttons = [(button.label, button.url) for button in render.paper_links(hub_paper())]
    assert buttons == [
        ("arXiv", "https://arxiv.org/abs/2405.04682"),
        ("PDF", "https://arxiv.org/pdf/2405.04682"),
        ("Hugging Face", "https://huggingface.co/papers/2405.04682"),
        ("Code", "https://github.com/lab/repo"),
        ("Project page", "https://lab.github.io/repo/"),
    ]
    plain = [button.label for button in render.paper_links(paper(links=HUB_LINKS[:1]))]
    assert plain == ["Code", "Search arXiv"]


@settings(max_examples=100, deadline=None)
@given(
    authors=st.lists(st.text(max_size=400), max_size=30),
    upvotes=st.none() | st.integers(0, 10**9),
    summary=st.none() | st.text(max_size=3000),
)
def test_any_metadata_renders_within_limits(authors, upvotes, summary):
    meta = PaperMeta("2405.04682", tuple(authors), upvotes, ai_summary=summary)
    card = render.post_embed(hub_paper(meta, title="t" * 250), DAY, 10)
    assert len(card) <= render.POST_EMBED_CHARS and len(card.title) <= 256
    full = render.paper_embed(hub_paper(meta))
    assert len(full) <= 6000 and all(len(f.value) <= 1024 for f in full.fields)
    assert all(
        len(b.label) <= 80 and len(b.url) <= 512 for b in render.paper_links(hub_paper(meta))
    )


def test_the_header_names_the_most_upvoted_papers():
    papers = [
        hub_paper(replace(HUB, upvotes=votes), title=f"Paper {n}", paper_id=n)
        for n, votes in enumerate([5, 90, 7, 300, 90, 1, 2])
    ]
    header = render.day_header(DAY, papers, shown=3)
    assert header.split("\n")[1:] == [
        "Most upvoted:",
        "• Paper 3 · ▲ 300",
        "• Paper 1 · ▲ 90",
        "• Paper 4 · ▲ 90",
        "…and 4 more in the thread.",
    ]
    plain = render.day_header(DAY, [paper(f"Paper {n}") for n in range(3)], shown=2)
    assert plain.split("\n")[1:] == ["• Paper 0", "• Paper 1", "…and 1 more in the thread."]
