"""bot.markup: displayed digest text is inert, TeX-tidied, and cut where a reader expects."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import markup

ABSTRACT = (
    "Concept Bottleneck Models (CBMs) map inputs onto concepts, e.g. colour and shape. "
    "They are interpretable by design, as shown by Koh et al. in 2020. "
    "A third sentence follows here and makes the abstract longer than any card."
)


def test_short_text_is_shown_whole() -> None:
    assert markup.shorten("A short summary.", 300) == "A short summary."


def test_long_text_ends_at_a_sentence_not_at_an_abbreviation() -> None:
    cut = markup.shorten(ABSTRACT, 160)
    assert cut == (
        "Concept Bottleneck Models (CBMs) map inputs onto concepts, e.g. colour and shape. "
        "They are interpretable by design, as shown by Koh et al. in 2020."
    )


def test_a_first_sentence_longer_than_the_room_is_cut_at_a_word() -> None:
    cut = markup.shorten(ABSTRACT, 60)
    assert cut == "Concept Bottleneck Models (CBMs) map inputs onto concepts…"
    assert markup.shorten("one two three", 9, sentences=False) == "one two…"


def test_cut_text_stays_inert_and_tidy() -> None:
    cut = markup.shorten("We ping @everyone with ``quotes'' and *stars*. " * 20, 100)
    assert "@everyone" not in cut and "“quotes”" in cut and "\\*stars\\*" in cut
    assert len(cut) <= 100


def test_a_single_huge_word_is_clipped_inside() -> None:
    assert markup.shorten("x" * 500, 50) == "x" * 49 + "…"


def test_link_text_cannot_end_a_link_early() -> None:
    assert markup.link_text("Title [Re] of ]x[") == "Title \\[Re\\] of \\]x\\["
    assert markup.link_text("already \\[escaped\\]") == "already \\[escaped\\]"
    assert markup.markdown_link("Title", None) == "Title"
    assert markup.markdown_link("T [1]", "https://x.io") == "[T \\[1\\]](https://x.io)"


WORDS = st.lists(st.from_regex(r"[A-Za-z]{1,12}[.,;!?]?", fullmatch=True), min_size=1, max_size=120)


@settings(max_examples=300, deadline=None)
@given(words=WORDS, limit=st.integers(20, 400))
def test_text_of_words_is_never_cut_inside_a_word(words: list[str], limit: int) -> None:
    raw = " ".join(words)
    cut = markup.shorten(raw, limit)
    assert len(cut) <= limit
    body = cut.removesuffix(markup.ELLIPSIS)
    assert raw.startswith(body)
    if body != raw:  # cut: at the end of a word, followed by a space in the text
        assert raw[len(body)] == " " or re.match(r"[ ,;:]", raw[len(body)])


@settings(max_examples=300, deadline=None)
@given(value=st.text(max_size=3000), limit=st.integers(1, 4096), sentences=st.booleans())
def test_any_text_is_shortened_within_its_limit(value: str, limit: int, sentences: bool) -> None:
    cut = markup.shorten(value, limit, sentences=sentences)
    assert len(cut) <= limit
    assert "@everyone" not in cut and "<@" not in cut
