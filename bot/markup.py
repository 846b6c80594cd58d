"""Digest text as Discord shows it: inert, tidied, and cut to size. Pure.

`safe` escapes markdown and defuses mentions, so `@everyone *bold*` in a title is
displayed, never obeyed; `shown` also tidies TeX leftovers (bot.tex) first. `shorten`
cuts displayed text to a limit at a sentence, else a word, boundary. The limits are
Discord's; every piece of text built from them fits by construction.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from discord.utils import escape_markdown, escape_mentions

from bot import tex

CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBEDS_PER_MESSAGE = 10
EMBED_CHARS_PER_MESSAGE = 6000
BUTTON_LABEL_LIMIT = 80
URL_LIMIT = 512
CHOICE_LIMIT = 100  # an autocomplete choice's name and value
OPTION_LIMIT = 100  # a select option's label, value and description
SELECT_OPTIONS = 25
CUSTOM_ID_LIMIT = 100
ELLIPSIS = "…"

_MENTION_MARKUP = re.compile(r"<(@[!&]?|#|/|t:|a?:)")
# Where a sentence may end: ., ! or ? (and any closing quotes or brackets), then space,
# then what can begin a sentence.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
# Words after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    {"al", "approx", "cf", "e.g", "eg", "eq", "eqs", "fig", "figs", "i.e", "ie"}
    | {"no", "nos", "ref", "refs", "resp", "sec", "viz", "vs"}
)
_LAST_WORD = re.compile(r"(\S+)$")
_SPACE = re.compile(r"\s+")
# Left at the end of a piece cut at a word: punctuation that would dangle before "…".
_DANGLING = " \t\n,;:-–—(/"


def safe(raw: str) -> str:
    """Digest or user text made inert: markdown escaped and mentions defused.

    A zero-width space after `@` or `<` keeps `@everyone`, `<@123>`, `<@&456>` and
    `<#789>` visible as typed without Discord turning them into mentions.
    """
    escaped = escape_mentions(escape_markdown(raw, as_needed=False))
    return _MENTION_MARKUP.sub(lambda match: "<\u200b" + match.group(1), escaped)


def shown(raw: str) -> str:
    """Digest text as displayed: TeX leftovers tidied (bot.tex), then made inert."""
    return safe(tex.tidy(raw))


def clip(value: str, limit: int) -> str:
    """`value` cut to `limit` characters, ending in an ellipsis only when it was longer."""
    if len(value) <= limit:
        return value
    cut = value[: limit - len(ELLIPSIS)]
    # Never leave a dangling escape backslash that would eat the ellipsis.
    trailing = len(cut) - len(cut.rstrip("\\"))
    if trailing % 2:
        cut = cut[:-1]
    return cut + ELLIPSIS


def safe_clip(raw: str, limit: int) -> str:
    return clip(safe(raw), limit)


def shorten(raw: str, limit: int, *, sentences: bool = True, escape: bool = True) -> str:
    """Digest text displayed (`shown`) in at most `limit` characters: whole if it fits;
    else its first sentences (when `sentences`); else cut at a word boundary with "…".
    Only a first word longer than `limit` is cut inside. Spacing is tidied to single
    spaces. Without `escape`, for places Discord shows as typed (menu labels), the
    text is only TeX-tidied."""
    text = _SPACE.sub(" ", tex.tidy(raw)).strip()
    display = safe if escape else _as_typed
    whole = display(text)
    if len(whole) <= limit:
        return whole
    if sentences:
        piece = _longest(_sentence_ends(text), lambda end: display(text[:end]), limit)
        if piece:
            return piece
    spaces = [match.start() for match in _SPACE.finditer(text)]
    piece = _longest(spaces, lambda end: _cut_at(text, end, display), limit)
    return piece or clip(whole, limit)


def _as_typed(value: str) -> str:
    return value


def _cut_at(text: str, end: int, display: Callable[[str], str]) -> str:
    head = text[:end].rstrip(_DANGLING)
    return display(head) + ELLIPSIS if head else ""


def _sentence_ends(text: str) -> list[int]:
    ends = []
    for match in _SENTENCE_END.finditer(text):
        word = _LAST_WORD.search(text, 0, match.start())
        before = word.group(1).lower() if word else ""
        before = before.lstrip("(\"'“‘[")
        if before in _ABBREVIATIONS or (len(before) == 1 and before.isalpha()):
            continue  # `e.g.`, `et al.`, an initial
        ends.append(match.end())
    return ends


def _longest(ends: list[int], piece: Callable[[int], str], limit: int) -> str:
    """The longest `piece(end)` within `limit`, over the cut positions `ends` (in
    order); "" when none fits. Binary search: a longer cut never displays shorter."""
    low, high, best = 0, len(ends) - 1, ""
    while low <= high:
        middle = (low + high) // 2
        candidate = piece(ends[middle])
        if len(candidate) <= limit:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def link_text(displayed: str) -> str:
    """Displayed text made safe inside a markdown link's brackets: `[` and `]` that
    are not already escaped get a backslash, so a title cannot end the link early."""
    out: list[str] = []
    backslashes = 0
    for char in displayed:
        if char in "[]" and backslashes % 2 == 0:
            out.append("\\")
        out.append(char)
        backslashes = backslashes + 1 if char == "\\" else 0
    return "".join(out)


def markdown_link(text: str, url: str | None) -> str:
    """`[text](url)`, or the text alone without a URL; `text` is already displayed."""
    return f"[{link_text(text)}]({url})" if url else text
