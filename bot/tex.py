"""TeX leftovers in digest text, tidied for display. Pure.

arXiv abstracts are written in TeX, and some of it survives into the Daily Papers
text: ``` ``quoted'' ``` and `` `quoted' `` phrases, size and font switches such as
`\\scriptsize`, escaped percent signs (`79.27\\%`), `\\url{...}`. `tidy` shows them as a
reader expects: typographic quotes, the switches gone, the escapes undone. It is
applied only to what users see; the archive keeps the text as it came, and search
indexes that.
"""

from __future__ import annotations

import re

# Declarations that change the size or font of what follows and print nothing.
SWITCHES = (
    "tiny",
    "scriptsize",
    "footnotesize",
    "small",
    "normalsize",
    "large",
    "Large",
    "LARGE",
    "huge",
    "Huge",
    "bf",
    "it",
    "rm",
    "sf",
    "tt",
    "sc",
    "sl",
    "em",
    "bfseries",
    "itshape",
    "mdseries",
    "normalfont",
    "rmfamily",
    "scshape",
    "sffamily",
    "slshape",
    "ttfamily",
    "upshape",
)
# Commands whose one argument is shown as it is: `\url{x}`, `\emph{x}` -> `x`.
WRAPPERS = (
    "url",
    "emph",
    "textbf",
    "textit",
    "texttt",
    "textsc",
    "textsf",
    "textrm",
    "textsl",
    "textup",
    "textmd",
    "underline",
    "mbox",
)

_NAME_END = r"(?![A-Za-z])"
_SWITCH_NAMES = "|".join(sorted(SWITCHES, key=len, reverse=True))
# `{\small text}`: the group's braces go with the switch.
_SWITCH_GROUP = re.compile(r"\{\\(?:" + _SWITCH_NAMES + r")" + _NAME_END + r"\s*([^{}]*)\}")
# A switch on its own, with an empty `{}` after it and the spaces before the next word.
_SWITCH = re.compile(r"\\(?:" + _SWITCH_NAMES + r")" + _NAME_END + r"(?:\{\})?[ \t]*")
_WRAPPER = re.compile(r"\\(?:" + "|".join(WRAPPERS) + r")" + _NAME_END + r"\s*\{([^{}]*)\}")
# `\href{url}{text}`: the text.
_HREF = re.compile(r"\\href\s*\{[^{}]*\}\s*\{([^{}]*)\}")
# `\%`, `\&`, `\_`, `\#`, `\$`: the character itself.
_ESCAPED = re.compile(r"\\([%&_#$])")
# ``` ``text'' ``` (or ``` ``text" ```): double quotes around text on one line.
_DOUBLE = re.compile(r"``([^`\n]{1,400}?)(?:''|\")")
# `` `text' ``: single quotes, the closing one not an apostrophe inside a word.
_SINGLE = re.compile(r"`([^`\n]{1,400}?)'(?![A-Za-z0-9])")
# An opening ``` `` ``` whose closing quote never came.
_OPEN_DOUBLE = re.compile(r"``(?=\S)")


def tidy(raw: str) -> str:
    """`raw` as a reader should see it: TeX quotes typographic, size and font switches
    dropped, `\\url{x}` and the like shown as `x`, `\\%` as `%`. Text without a
    backslash or a backtick comes back unchanged, and nothing gets longer."""
    if "\\" not in raw and "`" not in raw:
        return raw
    value = raw
    if "\\" in value:
        value = _SWITCH_GROUP.sub(r"\1", value)
        value = _SWITCH.sub("", value)
        value = _HREF.sub(r"\1", value)
        value = _WRAPPER.sub(r"\1", value)
        value = _ESCAPED.sub(r"\1", value)
    if "`" in value:
        value = _DOUBLE.sub("“\\1”", value)
        value = _SINGLE.sub("‘\\1’", value)
        value = _OPEN_DOUBLE.sub("“", value)
    return value
