"""bot.tex: TeX leftovers shown as a reader expects, and nothing else touched."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import tex
from tests.conftest import SEEDS


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (
            "is there a choice that is ``better'' than others?",
            "is there a choice that is “better” than others?",
        ),
        (
            "interpretable concepts (``the bottleneck'') and",
            "interpretable concepts (“the bottleneck”) and",
        ),
        ("(e.g., `a red panda climbing a tree')", "(e.g., ‘a red panda climbing a tree’)"),
        ("learn from `one's own' weaknesses", "learn from ‘one's own’ weaknesses"),
        ("an opening ``quote that never closes", "an opening “quote that never closes"),
        ('``double" closed the ASCII way', "“double” closed the ASCII way"),
        ("{\\scriptsize small print} stays", "small print stays"),
        ("text \\small in a switch \\Large here", "text in a switch here"),
        ("\\footnotesize\\tiny{}words", "words"),
        ("accuracy of 79.27\\% and 0.02\\% more", "accuracy of 79.27% and 0.02% more"),
        ("code at \\url{https://github.com/a/b}.", "code at https://github.com/a/b."),
        (
            "\\textbf{bold}, \\emph{stressed} and \\href{https://x.io}{a link}",
            "bold, stressed and a link",
        ),
        ("R\\&D \\_ \\# \\$", "R&D _ # $"),
    ],
)
def test_tex_leftovers_are_shown_as_meant(raw: str, shown: str) -> None:
    assert tex.tidy(raw) == shown


@pytest.mark.parametrize(
    "kept",
    [
        "don't touch apostrophes, or the authors' ones",
        "markdown `code` spans stay code",
        "f''(x) is a second derivative",
        "\\smallest and \\items are not size commands",
        "a path like C:\\Users\\me",
        "$\\alpha$-divergence and 50% more",
    ],
)
def test_everything_else_is_left_alone(kept: str) -> None:
    assert tex.tidy(kept) == kept


def test_the_seeds_show_no_tex_quotes() -> None:
    for path in SEEDS.iterdir():
        shown = tex.tidy(path.read_text(encoding="utf-8"))
        assert "``" not in shown and "''" not in shown
        assert "\\%" not in shown and "\\url" not in shown


SWITCHES = st.sampled_from([f"\\{name}" for name in tex.SWITCHES])
WORDS = st.lists(st.from_regex(r"[A-Za-z][a-z]{0,8}", fullmatch=True), min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(words=WORDS, switches=st.lists(SWITCHES, min_size=1, max_size=8))
def test_size_and_font_switches_vanish_between_words(words: list[str], switches: list[str]) -> None:
    mixed = []
    for index, word in enumerate(words):
        mixed.append(switches[index % len(switches)] + " " + word)
    assert tex.tidy(" ".join(mixed)) == " ".join(words)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_tidying_never_lengthens_and_leaves_plain_text_alone(value: str) -> None:
    shown = tex.tidy(value)
    assert len(shown) <= len(value)
    if "\\" not in value and "`" not in value:
        assert shown == value
