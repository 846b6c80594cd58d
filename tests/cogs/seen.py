"""What a member sees in a list, a card or its components, read from SimCord's messages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

# `**3.** [Title](url) · …` or `**3.** Title · …`: one entry of a /search or /digest page.
_ENTRY = re.compile(
    r"^\*\*(\d+)\.\*\* (?:\[(?P<linked>.+?)\]\((?P<url>[^)\s]+)\)|(?P<plain>.+?))(?: · |$)"
)


def entries(embed) -> list[tuple[int, str, str | None]]:
    """(rank, title as shown, the URL it links to or None) of each entry on a page."""
    found = []
    for line in (embed.description or "").split("\n"):
        if match := _ENTRY.match(line):
            title = match.group("linked") or match.group("plain")
            found.append((int(match.group(1)), title, match.group("url")))
    return found


def titles(embed) -> list[str]:
    return [title for _rank, title, _url in entries(embed)]


def components(response) -> list[dict[str, Any]]:
    """Every component of a response message, rows flattened."""
    return [item for row in response.components for item in row["components"]]


def buttons(response) -> dict[str, dict[str, Any]]:
    return {item["label"]: item for item in components(response) if item["type"] == 2}


def menu(response) -> dict[str, Any] | None:
    menus = [item for item in components(response) if item["type"] == 3]
    assert len(menus) <= 1
    return menus[0] if menus else None


def option_value(response, title_start: str) -> str:
    """The value of the menu option whose title (after its `k. `) starts so."""
    found = menu(response)
    assert found is not None, "no menu to open a paper"
    [value] = [
        option["value"]
        for option in found["options"]
        if option["label"].split(". ", 1)[1].startswith(title_start)
    ]
    return value


def assert_within_limits(response) -> None:
    """The response's components and embeds keep Discord's limits."""
    for item in components(response):
        assert len(item.get("custom_id", "")) <= 100
        if item["type"] == 2:
            assert 0 < len(item["label"]) <= 80
        if item["type"] == 3:
            assert 1 <= len(item["options"]) <= 25
            values = [option["value"] for option in item["options"]]
            assert len(values) == len(set(values))
            for option in item["options"]:
                assert 0 < len(option["label"]) <= 100 and 0 < len(option["value"]) <= 100
                assert len(option.get("description") or "") <= 100
    assert len(response.embeds) <= 10
    assert sum(len(embed) for embed in response.embeds) <= 6000
    for embed in response.embeds:
        assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096


def write_hub_day(folder: Path, day: str, items: list[dict[str, Any]]) -> Path:
    """A Hugging Face Daily Papers day, as `paperboy fetch` saves it."""
    path = folder / f"hf-{day}.json"
    body = {"day": day, "source": "test", "fetched_at": f"{day}T23:00:00Z", "items": items}
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def hub_item(
    arxiv_id: str,
    title: str,
    abstract: str,
    *,
    authors: tuple[str, ...] = (),
    upvotes: int | None = None,
    summary: str | None = None,
    github: str | None = None,
) -> dict[str, Any]:
    paper: dict[str, Any] = {"id": arxiv_id, "authors": [{"name": name} for name in authors]}
    if upvotes is not None:
        paper["upvotes"] = upvotes
    if summary is not None:
        paper["ai_summary"] = summary
    if github is not None:
        paper["githubRepo"] = github
    return {"title": title, "summary": abstract, "paper": paper}
