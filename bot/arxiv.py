"""arXiv ids in what users type, and the pages a paper's id leads to. Pure."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.digest_json import arxiv_id_of

ARXIV = "https://arxiv.org"
HUGGING_FACE = "https://huggingface.co"

_PREFIX = re.compile(r"^arxiv\s*:\s*", re.IGNORECASE)
_ARXIV_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org"})
_HF_HOSTS = frozenset({"huggingface.co", "www.huggingface.co", "hf.co"})
_ARXIV_PATH = re.compile(r"^/(?:abs|pdf|html|format)/(.+?)(?:\.pdf)?/?$")
_HF_PATH = re.compile(r"^/papers/([^/]+)/?$")


def arxiv_reference(value: str) -> str | None:
    """The arXiv id (without version) that `value` names, if it is one: `2405.04682`,
    `2405.04682v2`, `arXiv:2405.04682`, or an arXiv abstract, PDF or HTML URL, or a
    Hugging Face paper page URL. None for anything else (a title)."""
    value = value.strip()
    if "://" in value or value.lower().startswith(("arxiv.org/", "huggingface.co/")):
        return _from_url(value if "://" in value else f"https://{value}")
    return arxiv_id_of(_PREFIX.sub("", value))


def _from_url(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if host in _ARXIV_HOSTS:
        match = _ARXIV_PATH.match(parts.path)
    elif host in _HF_HOSTS:
        match = _HF_PATH.match(parts.path)
    else:
        return None
    return arxiv_id_of(match.group(1)) if match else None


def abstract_url(arxiv_id: str) -> str:
    return f"{ARXIV}/abs/{arxiv_id}"


def pdf_url(arxiv_id: str) -> str:
    return f"{ARXIV}/pdf/{arxiv_id}"


def hugging_face_url(arxiv_id: str) -> str:
    return f"{HUGGING_FACE}/papers/{arxiv_id}"
