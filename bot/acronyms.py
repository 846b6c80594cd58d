"""Acronyms that abstracts define, such as "natural language processing (NLP)".

Learned from the archive as papers are stored (no hand-written list): each definition
found in an abstract counts once per paper, and `/search` reads a query word like
`NLP` as "NLP, or natural language processing" (see `bot.candidates`).

A definition is a short form in parentheses, with at least two capitals (a plural
`s` aside: "LLMs"), after the words it abbreviates. Which words those are follows
Schwartz and Hearst's algorithm ("A simple algorithm for identifying abbreviation
definitions in biomedical text", 2003): the short form's letters are found, last
first, in the words before the parenthesis, its first letter at the start of a word.
A digit in the short form stands for a word: 2 for "to", 4 for "for" ("text-to-image
(T2I)"), any other for nothing.
"""

from __future__ import annotations

import re

from bot import text

# "(NLP)", "(LLMs)", "(CoT)", "(T2I)": letters and digits, starting with a letter.
_SHORT_FORM = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9]{1,9})\s*[)]")
# A long form does not reach back over the end of a sentence or clause.
_CLAUSE_END = re.compile(r"[.;:!?()\[\]{}]")
MIN_CAPITALS = 2
MAX_EXTRA_WORDS = 5  # a long form has at most len(short) + 5 words (and 2 * len(short))
_LOOK_BACK = 300  # characters before the parenthesis that can hold its long form
_DIGIT_WORDS = {"2": "to", "4": "for"}


def definitions(abstract: str) -> set[tuple[str, str]]:
    """(acronym, expansion) pairs that `abstract` defines.

    The acronym is its index term (`text.terms`: "LLMs" -> "llm"); the expansion is
    its words, lowercased and separated by single spaces ("large language models").
    """
    found: set[tuple[str, str]] = set()
    for match in _SHORT_FORM.finditer(abstract):
        short = match.group(1)
        letters = short[:-1] if short.endswith("s") else short  # "LLMs": a plural
        if sum(char.isupper() for char in letters) < MIN_CAPITALS:
            continue
        before = abstract[max(0, match.start() - _LOOK_BACK) : match.start()]
        clause = _CLAUSE_END.split(before)[-1]
        limit = min(len(letters) + MAX_EXTRA_WORDS, 2 * len(letters))
        window = " ".join(clause.split()[-limit:])
        long_form = _long_form(letters, window)
        if long_form is None:
            continue
        words = text.words(long_form)
        (acronym,) = text.terms(short) or ("",)
        if len(words) < 2 or len(words) > limit or not acronym or acronym in words:
            continue
        found.add((acronym, " ".join(words)))
    return found


def _long_form(short: str, window: str) -> str | None:
    """The shortest end of `window` holding `short`'s letters in order, last first; its
    first letter must start a word (Schwartz and Hearst). None when there is none."""
    s = len(short) - 1
    w = len(window) - 1
    while s >= 0:
        char = short[s].lower()
        if char.isdigit():
            word = _DIGIT_WORDS.get(char)
            if word is not None:  # the nearest such word before what matched so far
                found = _last_word(window[: w + 1], word)
                if found < 0:
                    return None
                w = found - 1
            s -= 1
            continue
        while w >= 0 and (
            window[w].lower() != char or (s == 0 and w > 0 and window[w - 1].isalnum())
        ):
            w -= 1
        if w < 0:
            return None
        w -= 1
        s -= 1
    return window[w + 1 :]


def _last_word(window: str, word: str) -> int:
    """Where the last whole `word` (any case) in `window` starts, or -1."""
    found = -1
    for match in re.finditer(r"[A-Za-z0-9]+", window):
        if match.group().lower() == word:
            found = match.start()
    return found
