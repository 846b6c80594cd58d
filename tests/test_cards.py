"""bot.cards: compact thread cards and full paper cards, in limits by construction; and
the cards of a posted day as members see them in its thread (SimCord)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import cards, render
from bot.digest import Link, PaperMeta
from bot.models import Paper
from tests.cogs.seen import hub_item, write_hub_day
from tests.simbot import all_pings, setup_server, user_messages

DAY = dt.date(2026, 3, 14)
HOSTILE = (
    "@everyone @here <@123> <@!123> <@&456> <#789> *bold* __under__ ||spoiler|| `code` > quote"
)
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


def paper(title="A Title", abstract="An abstract.", links=(), days=(DAY,), paper_id=1) -> Paper:
    return Paper(paper_id, title, abstract, tuple(links), tuple(days))


def hub_paper(meta: PaperMeta = HUB, links=HUB_LINKS, **fields) -> Paper:
    return replace(paper(links=links, **fields), meta=meta)


# -- the thread's compact cards -----------------------------------------------------------


def test_a_hub_card_has_the_summary_then_one_line_of_authors_upvotes_and_links():
    embed = cards.post_embed(hub_paper(abstract="A long abstract."), DAY, 1)
    assert embed.title == "1. A Title"
    assert embed.url == "https://arxiv.org/abs/2405.04682"
    assert embed.description.split("\n") == [
        "Widgets get sparse, and \\*faster\\*.",  # the summary, not the abstract
        "Ada Lovelace, Alan Turing, Grace Hopper et al. · ▲ 1,234 · "
        "[PDF](https://arxiv.org/pdf/2405.04682) · "
        "[Hugging Face](https://huggingface.co/papers/2405.04682) · "
        "[Code](https://github.com/lab/repo) · [Project page](https://lab.github.io/repo/)",
    ]
    assert embed.description.count("github.com") == 1
    assert "arxiv.org/abs" not in embed.description  # the title links there already


def test_a_card_without_metadata_has_an_unlinked_title_and_its_abstract():
    links = (Link("https://github.com/a/b", "code"),)
    embed = cards.post_embed(paper(abstract="We study things.", links=links), DAY, 2)
    assert embed.url is None  # no page of its own is known; never a search
    assert embed.description == "We study things.\n[Code](https://github.com/a/b)"


def test_a_card_without_text_starts_with_its_line_of_links():
    embed = cards.post_embed(hub_paper(replace(HUB, ai_summary=None), abstract=""), DAY, 1)
    assert embed.description.startswith("Ada Lovelace, Alan Turing, Grace Hopper et al. · ▲")
    assert cards.post_embed(paper(abstract=""), DAY, 1).description is None


def test_a_long_abstract_is_cut_after_its_first_sentences():
    abstract = (
        "Large models are costly to run in practice. We distil them into small ones. "
        "Our students match their teachers on ten benchmarks, e.g. GSM8K and MATH. "
        "Code and weights are released for everyone to use and build upon freely. "
        "We also study the failure modes of distilled models in great detail, and at length."
    )
    excerpt = cards.post_embed(paper(abstract=abstract), DAY, 1).description
    assert excerpt == abstract.rsplit(" We also", 1)[0]
    assert 200 <= len(excerpt) <= cards.CARD_EXCERPT


def test_one_endless_sentence_is_cut_at_a_word():
    abstract = "We " + " ".join(f"study widget{n}" for n in range(200)) + "."
    excerpt = cards.post_embed(paper(abstract=abstract), DAY, 1).description
    assert excerpt.endswith("…") and len(excerpt) <= cards.CARD_EXCERPT
    assert re.search(r" widget\d+…$", excerpt) or re.search(r" study…$", excerpt)


def test_a_card_marks_papers_seen_before():
    earlier = (dt.date(2026, 3, 11), dt.date(2026, 3, 13), DAY)
    embed = cards.post_embed(paper(days=earlier[1:]), DAY, 3)
    assert embed.description.endswith("\n↻ also on Mar 13, 2026")
    embed = cards.post_embed(paper(days=earlier), DAY, 3)
    assert embed.description.endswith("\n↻ also on Mar 13, 2026 and 1 earlier day")
    assert "also on" not in cards.post_embed(paper(days=(DAY,)), DAY, 1).description


def test_ten_thread_cards_always_fit_one_message():
    links = (
        Link("https://github.com/" + "a" * 480, "code"),
        Link("https://x.io/" + "b" * 490, "project"),
    )
    meta = PaperMeta(
        arxiv_id="2405.04682",
        authors=tuple(f"{HOSTILE} {n}" * 3 for n in range(300)),
        upvotes=10**9 - 1,
        ai_summary="word " * 3000,
    )
    worst = hub_paper(meta, links, title="T" * 300, days=(dt.date(2026, 3, 1), DAY))
    embed = cards.post_embed(worst, DAY, 100)
    assert len(embed) <= cards.POST_EMBED_CHARS and "@everyone" not in embed.description
    assert "[PDF]" in embed.description  # the short links stay, the long ones go
    assert len(render.pack([embed] * 100)) == 10


@settings(max_examples=150, deadline=None)
@given(
    title=st.text(min_size=1, max_size=600),
    abstract=st.text(max_size=5000),
    authors=st.lists(st.text(max_size=400), max_size=30),
    upvotes=st.none() | st.integers(0, 10**9),
    summary=st.none() | st.text(max_size=3000),
    arxiv_id=st.none() | st.just("2405.04682"),
)
def test_any_paper_renders_within_limits(title, abstract, authors, upvotes, summary, arxiv_id):
    meta = PaperMeta(arxiv_id, tuple(authors), upvotes, ai_summary=summary)
    card = cards.post_embed(hub_paper(meta, title=title, abstract=abstract), DAY, 10)
    assert len(card) <= cards.POST_EMBED_CHARS and len(card.title) <= 256
    full = cards.paper_embed(hub_paper(meta, title=title, abstract=abstract))
    assert len(full) <= 6000 and len(full.title) <= 256
    assert len(full.description or "") <= 4096
    assert all(len(f.value) <= 1024 for f in full.fields)
    for button in cards.paper_links(hub_paper(meta, title=title)):
        assert len(button.label) <= 80 and len(button.url) <= 512


# -- the full card ----------------------------------------------------------------------


def test_the_full_card_has_the_whole_abstract_and_each_link_once():
    embed = cards.paper_embed(hub_paper(abstract="The full abstract, ``quoted''."))
    assert embed.url == "https://arxiv.org/abs/2405.04682"
    assert embed.description == "The full abstract, “quoted”."
    fields = {field.name: field.value for field in embed.fields}
    assert fields["Authors"] == "Ada Lovelace, Alan Turing, Grace Hopper, Edsger Dijkstra"
    assert fields["Upvotes"] == "▲ 1,234" and fields["Appeared"] == "Mar 14, 2026"
    buttons = [(button.label, button.url) for button in cards.paper_links(hub_paper())]
    assert buttons == [
        ("PDF", "https://arxiv.org/pdf/2405.04682"),
        ("Hugging Face", "https://huggingface.co/papers/2405.04682"),
        ("Code", "https://github.com/lab/repo"),
        ("Project page", "https://lab.github.io/repo/"),
    ]
    plain = [button.label for button in cards.paper_links(paper(links=HUB_LINKS[:1]))]
    assert plain == ["Code", "Search arXiv"]


def test_the_full_card_names_ten_authors_and_counts_the_rest():
    meta = PaperMeta(authors=tuple(f"Author {n}" for n in range(14)))
    [field] = [f for f in cards.paper_embed(hub_paper(meta)).fields if f.name == "Authors"]
    assert field.value.endswith("Author 8, Author 9 and 4 more")


def test_an_oversized_title_and_abstract_are_cut_at_a_word():
    embed = cards.paper_embed(paper("Title " * 60, "word " * 2000))
    assert len(embed.title) <= 256 and embed.title.endswith("Title…")
    assert len(embed.description) <= 4096 and embed.description.endswith("word…")


def test_an_arxiv_search_never_cuts_an_escape():
    url = cards.arxiv_search_url("Ünïcödé " * 100)
    assert len(url) <= 512 and url.endswith("%A9")


# -- a posted day, as members see it --------------------------------------------------------

TEX_ABSTRACT = (
    "We ask whether ``thinking'' longer helps \\scriptsize small models. It does, by "
    "79.27\\% on average. A third sentence pushes this abstract past the card's room, "
    "so the card must end after the second or the first sentence and never mid-word. "
    "A fourth sentence makes sure of it, whatever the room the card leaves its excerpt."
)


@pytest.fixture
def digest_dir(seeds_dir):
    write_hub_day(
        seeds_dir,
        "2026-03-16",
        [
            hub_item(
                "2603.00042",
                "Thinking Longer in Small Models",
                TEX_ABSTRACT,
                authors=("Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"),
                upvotes=41,
            )
        ],
    )
    return seeds_dir


@pytest.fixture
def posted(sim):
    setup_server(sim)
    yield sim
    assert all_pings(sim.env) == [], "a post pinged someone"


async def post_day(sim, date: str):
    await sim.admin.slash(sim.channel, "setup", channel=sim.channel)
    result = await sim.admin.slash(sim.channel, "post", date=date)
    assert result.acknowledged
    day = dt.date.fromisoformat(date) if "-" in date else None
    name = render.thread_name(day) if day else None
    threads = [thread for thread in sim.channel.threads if name is None or thread.name == name]
    return [embed for message in user_messages(threads[-1]) for embed in message.embeds]


async def test_a_seed_day_posts_compact_cards_cut_at_sentences(posted):
    posted_cards = await post_day(posted, "2026-03-14")
    assert len(posted_cards) == 87
    assert posted_cards[0].title.startswith("1. QCRD")
    assert all(card.url is None for card in posted_cards)  # seeds have no arXiv ids
    for card in posted_cards:
        assert len(card) <= cards.POST_EMBED_CHARS
        excerpt = card.description.split("\n")[0]
        assert len(excerpt) <= cards.CARD_EXCERPT
        # A sentence's end, or a word's end with an ellipsis; never inside a word.
        assert re.search(r"[.!?][\"')”’\]]*$", excerpt) or re.search(r"\w…$", excerpt), excerpt


async def test_a_hub_day_posts_linked_titles_and_tidy_text(posted):
    [card] = await post_day(posted, "2026-03-16")
    assert card.title == "1. Thinking Longer in Small Models"
    assert card.url == "https://arxiv.org/abs/2603.00042"
    excerpt, line = card.description.split("\n")
    assert excerpt.startswith(
        "We ask whether “thinking” longer helps small models. It does, by 79.27%"
    )
    assert excerpt.endswith("and never mid-word.")  # the fourth sentence did not fit
    assert line == (
        "Ada Lovelace, Alan Turing, Grace Hopper et al. · ▲ 41 · "
        "[PDF](https://arxiv.org/pdf/2603.00042) · "
        "[Hugging Face](https://huggingface.co/papers/2603.00042)"
    )
