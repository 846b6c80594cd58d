"""Text normalisation shared by ingest, search and subscription matching.

One tokenisation for everything: the full-text index stores the `terms()` of each
paper, queries go through `terms()`, and alert matching compares `terms()` of a
keyword with `terms()` of a paper, so `/search` and alerts always agree.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping

# Runs of letters or digits (any script); everything else separates words.
_WORD = re.compile(r"[^\W_]+")
# The same split for ASCII text, done by byte translation: ingest splits millions of
# words, and this is about twice as fast as the regular expression.
# One pass both lowercases and turns every separator into a space.
_ASCII_SEPARATORS = bytes(byte for byte in range(256) if not chr(byte).isalnum() or byte > 127)
_ASCII_UPPER = bytes(range(ord("A"), ord("Z") + 1))
_ASCII_TO_WORDS = bytes.maketrans(
    _ASCII_SEPARATORS + _ASCII_UPPER, b" " * len(_ASCII_SEPARATORS) + _ASCII_UPPER.lower()
)

# Unicode format characters (category Cf) that can sit inside a word unseen: soft
# hyphen, zero-width space and joiners, direction marks, word joiner, BOM.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)

# Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, kana, CJK
# ideographs. A run of them is one "word" to the word index, so search also looks such
# text up by substring (SearchIndex.unspaced_matches). Migration 0010 holds the same
# ranges.
UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+"
)

STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "that",
        "the",
        "this",
        "to",
        "we",
        "with",
    }
)

_UNDOUBLE_KEEP = frozenset("lsz")
_STEMMED_ENDINGS = frozenset("sgde")  # the last letters of every ending stem() removes
_VOWELS = frozenset("aeiouy")


def fold(text: str) -> str:
    """Compatibility-normalise and case-fold `text` (`ＡＢＣ` and `abc` compare equal),
    dropping invisible format characters (a zero-width space inside a word leaves one
    word, as the reader sees it)."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).casefold()


def words(text: str) -> list[str]:
    """The lowercase words of `text`, split on anything that is not a letter or digit."""
    if text.isascii():  # NFKC and casefold leave ASCII as lower() does
        return text.encode("ascii").translate(_ASCII_TO_WORDS).decode("ascii").split()
    return _WORD.findall(fold(text))


def word_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, stemmed term) for each word of `text`, with offsets into `text`."""
    for match in _WORD.finditer(text):
        yield match.start(), match.end(), stem(fold(match.group()))


def stem(word: str) -> str:
    """Reduce a lowercase word to a stem shared by its common English inflections.

    Deliberately light (plurals, -ing, -ed, a final e) so that `models`/`model`,
    `agents`/`agent`, `modeling`/`model` meet without Porter's aggressive merges
    (`generalization` stays apart from `general`).
    """
    if len(word) <= 3 or word[-1] not in _STEMMED_ENDINGS or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "ches", "shes", "xes", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    elif word.endswith("ing") and _has_vowel(word[:-3]) and len(word) - 3 >= 3:
        word = _undouble(word[:-3])
    elif word.endswith("ed") and _has_vowel(word[:-2]) and len(word) - 2 >= 3:
        word = _undouble(word[:-2])
    if word.endswith("e") and len(word) >= 4:
        word = word[:-1]
    return word


def _has_vowel(text: str) -> bool:
    return any(char in _VOWELS for char in text)


def _undouble(text: str) -> str:
    if len(text) >= 3 and text[-1] == text[-2] and text[-1] not in _UNDOUBLE_KEEP:
        return text[:-1]
    return text


class StemCache(dict[str, str]):
    """word -> stem, filled on first use; ingest stems millions of words."""

    def __missing__(self, word: str) -> str:
        value = self[word] = stem(word)
        return value


_stems = StemCache()


def terms(text: str, stems: StemCache | None = None) -> list[str]:
    """The stemmed terms of `text`, in order: the unit of search and matching.

    `stems` is the stem cache to use instead of the shared one: a one-off job over
    many papers keeps their words out of the bot's memory that way.
    """
    if stems is None:
        stems = _stems
        if len(stems) > 500_000:  # bound memory on adversarial vocabularies
            stems.clear()
    return list(map(stems.__getitem__, words(text)))


def unspaced_runs(text: str) -> list[str]:
    """The runs of `text` in scripts written without spaces, normalised as words are."""
    return list(dict.fromkeys(UNSPACED.findall(fold(text))))


def rewrite(typed: str, replacements: Mapping[str, str], dropped: Iterable[str] = ()) -> str:
    """`typed` with each word replaced as `replacements` say (keys folded, as `words`
    gives them) and the `dropped` words left out, its spacing tidied; `typed` itself
    if nothing would be left. How a corrected query is shown: what was searched."""
    gone = {fold(word) for word in dropped}

    def replace(match: re.Match[str]) -> str:
        word = fold(match.group())
        return "" if word in gone else replacements.get(word, match.group())

    rewritten = " ".join(_WORD.sub(replace, typed).split())
    return rewritten or typed


def title_key(title: str) -> str:
    """The identity of a paper: its title with case, spacing and punctuation folded."""
    return " ".join(words(title))


def focus_terms(title_terms: Iterable[str], abstract_terms: Iterable[str]) -> tuple[str, str]:
    """What a paper is about, as index text: its distinct title terms, and the terms its
    abstract uses more than once (its subject recurs); stopwords left out."""
    title = " ".join(term for term in dict.fromkeys(title_terms) if term not in STOPWORDS)
    uses = Counter(abstract_terms)  # counted in C: ingest prepares millions of papers
    repeated = [term for term, count in uses.items() if count > 1 and term not in STOPWORDS]
    return title, " ".join(repeated)


def content_terms(query_terms: Iterable[str]) -> list[str]:
    """Drop stopwords and repeats, unless that would leave nothing."""
    seen: dict[str, None] = {}
    for term in query_terms:
        seen.setdefault(term, None)
    kept = [term for term in seen if term not in STOPWORDS]
    return kept or list(seen)
