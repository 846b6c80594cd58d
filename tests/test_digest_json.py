"""bot.digest_json: Hub days saved as JSON, field by field and broken in every way."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.digest import MAX_FILE_BYTES, Link, PaperMeta, ParsedDigest, Problem, parse_file
from bot.digest_json import arxiv_id_of, link_key, parse_json

DAY = dt.date(2026, 3, 14)
SOURCE = "hf-2026-03-14.json"
ABSTRACT = "We study things.\nOur method works\nwell. Code: https://github.com/lab/repo."


def paper(title: str = "A Paper", **fields: Any) -> dict[str, Any]:
    """An API item; `fields` go into its `paper` object."""
    return {
        "title": title,
        "summary": ABSTRACT,
        "numComments": 3,
        "paper": {"id": "2405.04682", "title": title, "summary": ABSTRACT, **fields},
    }


def parse(document: Any, source: str = SOURCE) -> ParsedDigest:
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    return parse_json(data, source)


def wrapped(*items: Any, day: str = "2026-03-14") -> dict[str, Any]:
    return {"day": day, "source": "https://x/api", "fetched_at": "2026-03-15T02:00:00Z",
            "items": list(items)}  # fmt: skip


def messages(digest: ParsedDigest) -> list[str]:
    return [str(problem) for problem in digest.problems]


# -- fields ----------------------------------------------------------------------------


def test_metadata_is_read() -> None:
    item = paper(
        authors=[
            {"name": "Ada  Lovelace", "hidden": False},
            {"name": "Hid", "hidden": True},
            {"name": "Alan Turing"},
        ],
        upvotes=41,
        githubRepo="https://github.com/lab/repo",
        githubStars=99,
        projectPage="https://lab.github.io/repo/",
        ai_summary="One\nsentence.",
        ai_keywords=["LLM", "llm", " reasoning "],
        organization={"name": "lab", "fullname": "The Lab"},
        publishedAt="2024-05-07T23:59:59.000Z",
    )
    meta = parse(wrapped(item)).papers[0].meta
    assert meta == PaperMeta(
        arxiv_id="2405.04682",
        authors=("Ada Lovelace", "Alan Turing"),
        upvotes=41,
        comments=3,
        github_url="https://github.com/lab/repo",
        github_stars=99,
        project_url="https://lab.github.io/repo/",
        ai_summary="One sentence.",
        ai_keywords=("LLM", "reasoning"),
        organization="The Lab",
        published_on=dt.date(2024, 5, 7),
    )


def test_abstract_line_breaks_become_spaces() -> None:
    found = parse(wrapped(paper())).papers[0]
    assert (
        found.abstract
        == "We study things. Our method works well. Code: https://github.com/lab/repo."
    )


def test_every_field_null() -> None:
    nulls = dict.fromkeys(
        ["id", "authors", "upvotes", "githubRepo", "githubStars", "projectPage", "ai_summary",
         "ai_keywords", "organization", "publishedAt", "submittedOnDailyAt"]
    )  # fmt: skip
    item = paper(**nulls) | {"numComments": None, "thumbnail": None, "submittedBy": None}
    digest = parse(wrapped(item))
    assert not digest.problems
    assert digest.papers[0].meta == PaperMeta()


def test_top_level_fields_only() -> None:
    digest = parse(wrapped({"title": "Only Top", "summary": "An abstract."}))
    assert digest.papers[0].title == "Only Top" and digest.papers[0].meta == PaperMeta()


def test_paper_fields_only() -> None:
    item = {"paper": {"title": "Inner Title", "summary": "Inner abstract."}}
    assert parse(wrapped(item)).papers[0].title == "Inner Title"


def test_unknown_fields_are_ignored() -> None:
    item = paper(newThing={"a": [1]}) | {"brandNew": True}
    digest = parse(wrapped(item) | {"extra": 1})
    assert len(digest.papers) == 1 and not digest.problems


def test_hidden_authors_are_left_out_in_order() -> None:
    authors = [{"name": name, "hidden": name.startswith("H")} for name in ["B", "H1", "A", "H2"]]
    assert parse(wrapped(paper(authors=authors))).papers[0].meta.authors == ("B", "A")


def test_organization_as_a_string() -> None:
    assert parse(wrapped(paper(organization="Lab"))).papers[0].meta.organization == "Lab"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12, 12), ("12", 12), (12.0, 12), ("many", None), (-1, None), (True, None), (1e20, None)],
)
def test_counts_tolerate_strings_and_drop_nonsense(value: object, expected: int | None) -> None:
    assert parse(wrapped(paper(upvotes=value))).papers[0].meta.upvotes == expected


# -- bad items -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"title": 42, "summary": "x"}, "item 1: no title"),
        ({"title": "  ", "summary": "x"}, "item 1: no title"),
        ({"summary": "x"}, "item 1: no title"),
        ({"title": "T"}, "item 1: no abstract: 'T'"),
        ({"title": "T", "summary": ["x"]}, "item 1: no abstract: 'T'"),
        ("text", "item 1: not an object but a string"),
        (None, "item 1: not an object but null"),
        ([1], "item 1: not an object but a list"),
    ],
)
def test_a_bad_item_is_named_by_index_and_the_rest_load(item: Any, message: str) -> None:
    digest = parse(wrapped(paper("First"), item, paper("Third")))
    assert [found.title for found in digest.papers] == ["First", "Third"]
    assert [found.item for found in digest.papers] == [0, 2]
    assert messages(digest) == [f"{SOURCE}: {message}"]


def test_authors_not_a_list_is_reported_and_the_paper_kept() -> None:
    digest = parse(wrapped(paper(authors="A, B")))
    assert digest.papers[0].meta.authors == ()
    assert messages(digest) == [f"{SOURCE}: item 0: 'authors' is a string, not a list; left out"]


def test_paper_not_an_object_falls_back_to_the_item() -> None:
    digest = parse(wrapped({"title": "T", "summary": "S", "paper": "2405.04682"}))
    assert digest.papers[0].title == "T"
    assert "'paper' is a string" in digest.problems[0].message


def test_authors_as_plain_names_and_junk_entries() -> None:
    authors = ["Ada", 7, None, {"name": 5}, {"hidden": False}, {"name": "Alan"}]
    assert parse(wrapped(paper(authors=authors))).papers[0].meta.authors == ("Ada", "Alan")


def test_problem_str_names_the_item() -> None:
    problem = Problem(SOURCE, None, "no title", item=3)
    assert str(problem) == "hf-2026-03-14.json: item 3: no title"
    assert str(Problem("a.txt", 4, "x")) == "a.txt:4: x"


# -- the file as a whole ---------------------------------------------------------------


def test_bare_array_day_from_submissions_when_the_name_has_none() -> None:
    item = paper(submittedOnDailyAt="2026-03-12T23:30:00.000Z")
    digest = parse([{"junk": 1}, item], "daily.json")
    assert digest.day == dt.date(2026, 3, 12)
    assert len(digest.papers) == 1


def test_bare_array_without_any_day() -> None:
    digest = parse([paper()], "daily.json")
    assert digest.day is None
    assert messages(digest) == ["daily.json: no day: not in the file, its name, or its papers"]


def test_wrapped_day_wins_over_the_file_name() -> None:
    assert parse(wrapped(paper(), day="2026-03-01")).day == dt.date(2026, 3, 1)


def test_bad_day_field_falls_back_to_the_file_name_and_says_so() -> None:
    digest = parse(wrapped(paper(), day="Mar 14"))
    assert digest.day == DAY
    assert messages(digest) == [
        f"{SOURCE}: 'day' is not a YYYY-MM-DD date: 'Mar 14'; used the date in the file name"
    ]


@pytest.mark.parametrize(
    "document", [{"day": "2026-03-14"}, {"items": {"a": 1}}, 42, "text", None]
)  # fmt: skip
def test_not_a_day(document: Any) -> None:
    digest = parse(document)
    assert not digest.papers and len(digest.problems) == 1


def test_invalid_json_names_the_line() -> None:
    digest = parse(b'{"day": "2026-03-14",\n"items": [\n{"title": "x",\n]}')
    assert digest.day is None and not digest.papers
    assert [(problem.line, problem.message[:13]) for problem in digest.problems] == [
        (4, "invalid JSON:")
    ]


def test_nesting_too_deep_is_a_problem_not_a_crash() -> None:
    digest = parse(b"[" * 100_000 + b"]" * 100_000)
    assert digest.problems and "invalid JSON" in digest.problems[0].message


def test_huge_number_is_a_problem_not_a_crash() -> None:
    digest = parse(
        b'{"items": [{"title": "t", "summary": "s", "numComments": ' + b"9" * 5000 + b"}]}"
    )
    assert digest.problems and "invalid JSON" in digest.problems[0].message


def test_invalid_utf8_is_replaced_and_reported() -> None:
    data = json.dumps(wrapped(paper("Caf\u00e9"))).encode().replace(b"Caf\\u00e9", b"Caf\xff")
    digest = parse(data)
    assert len(digest.papers) == 1 and "invalid UTF-8" in digest.problems[0].message


def test_byte_order_mark() -> None:
    assert len(parse(b"\xef\xbb\xbf" + json.dumps(wrapped(paper())).encode()).papers) == 1


def test_oversized() -> None:
    digest = parse(b" " * (MAX_FILE_BYTES + 1))
    assert "limit" in digest.problems[0].message and digest.content_hash == ""


def test_oversized_file_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "hf-2026-03-14.json"
    with path.open("wb") as file:
        file.truncate(MAX_FILE_BYTES + 1)
    assert "limit" in parse_file(path).problems[0].message


def test_control_characters_are_spaces() -> None:
    found = parse(wrapped({"title": "A\x00B\tC\u2028D", "summary": "x\r\ny"})).papers[0]
    assert (found.title, found.abstract) == ("A B C D", "x y")


@settings(max_examples=300)
@given(st.text(st.characters(max_codepoint=0x3000)))
def test_any_text_has_each_run_of_spaces_and_controls_made_one_space(raw: str) -> None:
    # Each character that is whitespace or a C0 control, or DEL, separates words.
    expected = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", raw).split())
    found = parse(wrapped({"title": "T", "summary": "s", "paper": {"ai_summary": raw}})).papers[0]
    assert found.meta.ai_summary == (expected or None)


# -- arXiv ids -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2405.04682", "2405.04682"),
        ("2405.04682v2", "2405.04682"),
        (" 2405.04682 ", "2405.04682"),
        ("0704.0001", "0704.0001"),
        ("1412.9999", "1412.9999"),
        ("1501.00001", "1501.00001"),
        ("cs/0112017", "cs/0112017"),
        ("hep-th/9901001v3", "hep-th/9901001"),
        ("math.GT/0309136", "math.GT/0309136"),
        ("1501.0001", None),  # four digits ended in 2014
        ("1412.12345", None),
        ("0703.1234", None),  # before the new scheme
        ("2413.00001", None),  # month 13
        ("2405.4682", None),
        ("2405.04682v", None),
        ("cs/0113017", None),
        ("../../etc/passwd", None),
        ("2405.04682/../x", None),
        ("https://arxiv.org/abs/2405.04682", None),
        ("", None),
        (2405.04682, None),
    ],
)
def test_arxiv_ids(raw: object, expected: str | None) -> None:
    assert arxiv_id_of(raw) == expected


def test_a_garbage_id_is_reported_and_left_out() -> None:
    digest = parse(wrapped(paper(id="javascript:alert(1)")))
    assert digest.papers[0].meta.arxiv_id is None
    assert "not an arXiv id" in digest.problems[0].message


# -- links ---------------------------------------------------------------------------


def test_a_code_link_appears_once() -> None:
    item = paper(githubRepo="https://github.com/Lab/Repo.git", projectPage="https://lab.io/p")
    item["summary"] = "See http://www.github.com/lab/repo/ and https://lab.io/p."
    links = parse(wrapped(item)).papers[0].links
    assert links == (
        Link("https://github.com/Lab/Repo.git", "code"),
        Link("https://lab.io/p", "project"),
    )


def test_links_from_the_abstract_only() -> None:
    assert parse(wrapped(paper())).papers[0].links == (Link("https://github.com/lab/repo", "code"),)


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://x.org/a", "https://", "not a url", "https://a b.org", 7]
)
def test_bad_repository_urls_are_left_out(url: object) -> None:
    item = paper(githubRepo=url, projectPage=url)
    item["summary"] = "No links."
    found = parse(wrapped(item)).papers[0]
    assert found.links == () and found.meta.github_url is None and found.meta.project_url is None


def test_link_key() -> None:
    assert link_key("https://GitHub.com/A/B/") == link_key("http://github.com/a/b.git")
    assert link_key("https://x.io/A") != link_key("https://x.io/a")  # case matters off code hosts


# -- never raises ------------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
_FIELD = st.sampled_from(["title", "summary", "paper", "id", "authors", "upvotes", "name"])
_ITEM = st.dictionaries(_FIELD, _JSON | st.dictionaries(_FIELD, _JSON), max_size=6)


@settings(max_examples=100, deadline=None)
@given(items=st.lists(_ITEM | _JSON, max_size=6), wrap=st.booleans())
def test_any_json_parses_without_raising(items: list[Any], wrap: bool) -> None:
    digest = parse(wrapped(*items) if wrap else items)
    for problem in digest.problems:
        assert str(problem).startswith(SOURCE) and problem.message
    for found in digest.papers:
        assert found.title and found.abstract and found.item is not None
        assert not set("\r\n\x00") & set(found.title + found.abstract)
