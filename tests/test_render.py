"""bot.render: a day's header, packing, the closing line; limits by construction and
hostile text shown literally."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import render
from bot.digest import PaperMeta
from bot.models import Paper

DAY = dt.date(2026, 3, 14)
HOSTILE = (
    "@everyone @here <@123> <@!123> <@&456> <#789> *bold* __under__ ||spoiler|| `code` > quote"
)


def paper(title="A Title", abstract="An abstract.", paper_id=1, upvotes=None) -> Paper:
    return replace(Paper(paper_id, title, abstract, (), (DAY,)), meta=PaperMeta(upvotes=upvotes))


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


def test_a_ninety_paper_day_packs_ten_to_a_message():
    abstract = "An abstract sentence of ordinary length. " * 40
    papers = [paper(f"Paper {i}", abstract, paper_id=i) for i in range(90)]
    messages = render.day_messages(papers, DAY, 0)
    assert [first for first, _ in messages] == list(range(0, 90, 10))
    assert all(len(embeds) == 10 for _, embeds in messages)
    resumed = render.day_messages(papers, DAY, 37)
    assert [first for first, _ in resumed][:2] == [37, 47]
    assert resumed[0][1][0].title == "38. Paper 37"


def test_day_header_names_the_day_and_fits():
    papers = [paper(f"{HOSTILE} {i}" * 5) for i in range(87)]
    header = render.day_header(DAY, papers)
    assert "Daily Papers — Saturday, March 14, 2026" in header
    assert "87 papers" in header
    assert len(header) <= 2000
    assert "@everyone" not in header


def test_the_header_names_the_most_upvoted_papers():
    papers = [
        paper(f"Paper {n}", paper_id=n, upvotes=votes)
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


def test_header_titles_show_tex_quotes_typographically():
    header = render.day_header(DAY, [paper("On ``Thinking'' \\small Fast")])
    assert "• On “Thinking” Fast" in header


def test_the_closing_line_counts_the_papers_and_says_how_to_be_pinged():
    assert render.closing_line(DAY, 87) == (
        "That's all 87 papers for Saturday, March 14, 2026. To get pinged when a new paper "
        "matches your topics, use `/subscribe` (e.g. `/subscribe keyword: diffusion`)."
    )
    assert render.closing_line(DAY, 1).startswith("That's the one paper for Saturday, March 14")
    assert render.closing_line(DAY, 0).startswith("No papers for Saturday, March 14, 2026.")
    assert render.closing_line(DAY, 1234).startswith("That's all 1,234 papers for")


@given(day=st.dates(), count=st.integers(0, 10**6))
def test_the_closing_line_fits_and_pings_nobody(day: dt.date, count: int) -> None:
    line = render.closing_line(day, count)
    assert 0 < len(line) <= render.CONTENT_LIMIT
    assert "@" not in line and "<" not in line and "/subscribe" in line


@settings(max_examples=200, deadline=None)
@given(title=st.text(max_size=600))
def test_any_title_fits_a_choice_and_a_headline(title):
    assert 0 < len(render.choice_name(title)) <= 100
    assert len(render.day_header(DAY, [paper(title or "x")] * 5)) <= 2000
