"""bot.query: queries made into index terms, typos corrected with care."""

from __future__ import annotations

from bot.query import make_plan
from bot.vocabulary import Vocabulary

VOCABULARY = Vocabulary(
    {"step": 50, "reason": 40, "chain": 30, "thought": 30, "bottleneck": 3, "straig": 1}
)


def test_a_typo_is_corrected() -> None:
    plan = make_plan(VOCABULARY, "chain of thougth")
    assert plan.terms == ("chain", "thought")
    assert plan.corrections == {"thougth": "thought"}


def test_a_short_unknown_word_among_known_ones_is_left_out_not_corrected() -> None:
    # Three known words carry the query; `stop` is an English word the archive lacks,
    # one edit from `step`.
    plan = make_plan(VOCABULARY, "stop chain of thought reasoning")
    assert plan.terms == ("chain", "thought", "reason")
    assert plan.corrections == {} and plan.unknown == ("stop",)
    # With fewer known words it is read as a typo.
    assert make_plan(VOCABULARY, "stop reasoning").corrections == {"stop": "step"}


def test_long_unknown_words_are_still_corrected_in_long_queries() -> None:
    plan = make_plan(VOCABULARY, "botleneck chain of thought reasoning")
    assert plan.corrections == {"botleneck": "bottleneck"}


def test_a_long_query_is_not_corrected_to_a_word_of_one_paper() -> None:
    plan = make_plan(VOCABULARY, "straight chain of thought reasoning")
    assert plan.corrections == {} and plan.unknown == ("straight",)
    assert make_plan(VOCABULARY, "straight").corrections == {"straight": "straig"}
