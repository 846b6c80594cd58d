"""Author names as search terms: one token per full name, and the names a query may hold.

A name becomes one index token, its words folded and joined by `_` (`Yann LeCun` ->
`yann_lecun`), so an author query matches whole names only: `Yann LeCun` never matches
`Yann LeCunff`, and `Yann` alone matches no one. Accents and a few letters without a
decomposition are folded, so `Lukasz Kaiser` finds `Łukasz Kaiser`. Pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

MIN_WORDS = 2  # one word is a surname or a topic ("Gan", "Meta"): too ambiguous
MAX_WORDS = 5
MAX_QUERY_WORDS = 16  # names are looked for among a query's first words only

_WORD = re.compile(r"[^\W_]+")
_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i"}
)


def name_words(text: str) -> list[str]:
    """The folded words of a name: lowercase, accents and `ł`-like letters folded."""
    if text.isascii():  # most names: nothing to decompose (a day has hundreds)
        return _WORD.findall(text.lower())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _WORD.findall(plain.translate(_LETTERS))


def author_token(name: str) -> str:
    """The index token of a full name; "" for a name with no letters or digits."""
    return "_".join(name_words(name))


def index_text(authors: Iterable[str]) -> str:
    """What the author index holds for a paper: its authors' tokens, space-separated."""
    return " ".join(dict.fromkeys(token for name in authors if (token := author_token(name))))


def query_runs(words: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Every run of MIN_WORDS to MAX_WORDS adjacent query words as a name token, with
    the (start, end) of the words it covers."""
    words = words[:MAX_QUERY_WORDS]
    return {
        "_".join(words[start : start + size]): (start, start + size)
        for size in range(MIN_WORDS, MAX_WORDS + 1)
        for start in range(len(words) - size + 1)
    }


def pick_names(
    runs: dict[str, tuple[int, int]], known: Iterable[str]
) -> tuple[list[str], set[int]]:
    """The known names to search by, longest first and never overlapping, and the
    positions of the query words they cover."""
    chosen: list[str] = []
    used: set[int] = set()
    for token in sorted(known, key=lambda name: (runs[name][0] - runs[name][1], runs[name][0])):
        start, end = runs[token]
        if used.isdisjoint(range(start, end)):
            chosen.append(token)
            used.update(range(start, end))
    return chosen, used
