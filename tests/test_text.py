"""bot.text: the one tokenisation shared by the index, queries and alerts."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import text


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("models", "model"),
        ("agents", "agent"),
        ("modeling", "model"),
        ("model", "model"),
        ("studies", "study"),
        ("study", "study"),
        ("rlhf", "rlhf"),
        ("gpt", "gpt"),
        ("class", "class"),
        ("corpus", "corpus"),
        ("analysis", "analysis"),
    ],
)
def test_stem(word: str, expected: str) -> None:
    assert text.stem(word) == expected


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("models", "model"),
        ("modeling", "model"),
        ("modeling", "models"),
        ("agents", "agent"),
        ("studies", "study"),
        ("reasoning", "reason"),
        ("prompts", "prompt"),
        ("prompting", "prompt"),
        ("trained", "train"),
        ("stopping", "stop"),
    ],
)
def test_inflections_share_a_stem(one: str, other: str) -> None:
    assert text.stem(one) == text.stem(other)


def test_stem_keeps_distinct_words_apart() -> None:
    assert text.stem("generalization") != text.stem("general")


def test_terms_split_hyphenated_words() -> None:
    assert text.terms("Chain-of-Thought") == ["chain", "of", "thought"]


def test_terms_lowercase_acronyms() -> None:
    assert text.terms("RLHF") == ["rlhf"]
    assert text.terms("MA-RLHF: Reinforcement Learning") == ["ma", "rlhf", "reinforcement", "learn"]


def test_terms_stem_each_word_in_order() -> None:
    assert text.terms("Agents modeling studies") == ["agent", "model", "study"]


def test_terms_of_punctuation_only_is_empty() -> None:
    assert text.terms("?!- ... ()") == []
    assert text.terms("") == []


def test_terms_fold_compatibility_forms() -> None:
    assert text.terms("ＬＬＭｓ") == text.terms("LLMs")


def test_words_are_lowercase_and_unstemmed() -> None:
    assert text.words("Large Language Models!") == ["large", "language", "models"]


def test_title_key_folds_case_punctuation_and_spacing() -> None:
    key = text.title_key("Large Language Models are Zero-Shot Reasoners")
    assert key == "large language models are zero shot reasoners"
    assert text.title_key("  large   LANGUAGE models are zero shot reasoners.  ") == key
    assert text.title_key("Large-Language: Models, are (zero) shot -- reasoners?") == key


def test_title_key_tells_different_titles_apart() -> None:
    assert text.title_key("Concept Bottleneck Models") != text.title_key("Concept Bottlenecks")


def test_word_spans_point_into_the_text() -> None:
    source = "Masked Thought: Simply"
    spans = list(text.word_spans(source))
    assert [term for _, _, term in spans] == ["mask", "thought", "simply"]
    assert [source[start:end] for start, end, _ in spans] == ["Masked", "Thought", "Simply"]


def test_content_terms_drop_stopwords_and_repeats() -> None:
    assert text.content_terms(["the", "model", "of", "model", "agent"]) == ["model", "agent"]


def test_content_terms_keep_stopwords_when_nothing_else() -> None:
    assert text.content_terms(["the", "of", "the"]) == ["the", "of"]


@given(st.text(alphabet=st.characters(max_codepoint=0x7F)) | st.text())
def test_ascii_fast_split_agrees_with_the_unicode_rule(sample: str) -> None:
    # words() splits ASCII by byte translation; it must match the general rule exactly
    # (fold: NFKC, case folding, invisible format characters dropped).
    general = re.findall(r"[^\W_]+", text.fold(sample))
    assert text.words(sample) == general


def test_rewrite_shows_a_query_as_searched_corrected_and_without_unknown_words():
    corrections = {"conept": "concept", "botleneck": "bottleneck"}
    assert text.rewrite("Conept botleneck", corrections, ()) == "concept bottleneck"
    assert text.rewrite("concept zzqq models", {}, ("zzqq",)) == "concept models"
    assert text.rewrite("chain-of-thought", {}, ()) == "chain-of-thought"
    assert text.rewrite("zzqq", {}, ("zzqq",)) == "zzqq"  # nothing left: as typed


def test_focus_terms_are_title_terms_and_what_the_abstract_repeats() -> None:
    title, repeated = text.focus_terms(
        text.terms("Trees of Thought for the Models"),
        text.terms("A tree, trees and a tree-like tree of the models; thought once. The the."),
    )
    assert title == "tre thought model"  # distinct, stemmed, no stopwords
    assert repeated == "tre"  # used five times; "thought" and "model" once
    assert text.focus_terms([], ["x", "y", "y", "x", "z", "x"]) == ("", "x y")
    assert text.focus_terms([], []) == ("", "")
