"""bot.digest: parsing digest dumps, dates and links, on the real seeds and broken inputs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot import text
from bot.digest import (
    MAX_FILE_BYTES,
    Link,
    ParsedDigest,
    classify_link,
    extract_links,
    parse_bytes,
    parse_date,
    parse_file,
    trim_url,
)
from tests.conftest import SEED_MAR13, SEED_MAR14, TODAY

MAR13 = dt.date(2026, 3, 13)
HEADER = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\n"
    "byAK and the research community\n"
)


def abstract(topic: str) -> str:
    """An abstract-looking line: several sentences, as in the real digests."""
    return (
        f"We study {topic} in large language models. Our method improves accuracy on "
        f"several benchmarks. Code and data are released for {topic}."
    )


def digest_text(*lines: str, header: str = HEADER, date: str | None = "Mar 13") -> str:
    parts = [header] if header else []
    if date is not None:
        parts.append(date + "\n")
    parts.extend(line + "\n" for line in lines)
    return "\n".join(parts)


def parse(content: str | bytes, source: str = "digest.txt") -> ParsedDigest:
    data = content.encode() if isinstance(content, str) else content
    return parse_bytes(data, source, today=TODAY)


def titles(digest: ParsedDigest) -> list[str]:
    return [paper.title for paper in digest.papers]


def line_of(content: str, needle: str) -> int:
    """1-based number of the first line of `content` that equals `needle`."""
    return content.splitlines().index(needle) + 1


GOOD = digest_text(
    "First Paper Title",
    abstract("first things"),
    "Second Paper Title",
    abstract("second things"),
    "Third Paper Title",
    abstract("third things"),
)


# -- the seeds ----------------------------------------------------------------


def test_seed_mar13() -> None:
    digest = parse_file(SEED_MAR13, today=TODAY)
    assert digest.day == MAR13
    assert len(digest.papers) == 79
    assert digest.problems == []
    assert digest.papers[0].title.startswith("TALC: Time-Aligned Captions")
    assert digest.papers[-1].title.startswith("OUTFOX:")
    assert len(digest.content_hash) == 64


def test_seed_mar14() -> None:
    digest = parse_file(SEED_MAR14, today=TODAY)
    assert digest.day == dt.date(2026, 3, 14)
    assert len(digest.papers) == 87
    assert digest.problems == []
    assert digest.papers[0].title.startswith("QCRD:")
    assert digest.papers[-1].title == "Copyright Traps for Large Language Models"


def test_seed_title_keys_overlap_on_three_papers() -> None:
    first = {text.title_key(p.title) for p in parse_file(SEED_MAR13, today=TODAY).papers}
    second = {text.title_key(p.title) for p in parse_file(SEED_MAR14, today=TODAY).papers}
    assert len(first) == 79
    assert len(second) == 87
    assert len(first | second) == 163
    assert first & second == {
        text.title_key(
            "Answering Unseen Questions With Smaller Language Models Using Rationale "
            "Generation and Dense Retrieval"
        ),
        text.title_key(
            "Concept-Guided Chain-of-Thought Prompting for Pairwise Comparison Scoring "
            "of Texts with Large Language Models"
        ),
        text.title_key(
            "Masked Thought: Simply Masking Partial Reasoning Steps Can Improve Mathematical "
            "Reasoning Learning of Language Models"
        ),
    }


def test_seed_papers_remember_their_lines() -> None:
    digest = parse_file(SEED_MAR13, today=TODAY)
    lines = SEED_MAR13.read_text(encoding="utf-8").splitlines()
    for paper in digest.papers:
        assert lines[paper.line - 1].strip() == paper.title
        assert lines[paper.line + 1].strip() == paper.abstract


def test_seed_malalgoqa_link_is_trimmed() -> None:
    digest = parse_file(SEED_MAR14, today=TODAY)
    [paper] = [p for p in digest.papers if "MalAlgoQA" in p.abstract]
    assert paper.links == (Link("https://github.com/luffycodes/MalAlgoQA-Dataset", "code"),)


def test_seed_links_have_no_trailing_junk() -> None:
    for seed in (SEED_MAR13, SEED_MAR14):
        for paper in parse_file(seed, today=TODAY).papers:
            for link in paper.links:
                assert link.url.startswith(("http://", "https://"))
                assert link.url[-1] not in ".,;:)}]{'\""
                assert link.kind in {"code", "project"}


# -- malformed input ----------------------------------------------------------


def test_no_date_line() -> None:
    content = digest_text("Only Title", abstract("only"), date=None)
    digest = parse(content, "nodate.txt")
    assert digest.day is None
    assert titles(digest) == ["Only Title"]
    [problem] = digest.problems
    assert problem.source == "nodate.txt"
    assert problem.line == 1
    assert "no date line" in problem.message


def test_no_date_line_falls_back_to_the_date_in_the_file_name() -> None:
    content = digest_text("Only Title", abstract("only"), header="", date=None)
    digest = parse(content, "digests/2026-03-15.txt")
    assert digest.day == dt.date(2026, 3, 15)
    assert titles(digest) == ["Only Title"]
    [problem] = digest.problems
    assert "file name" in problem.message


def test_title_without_abstract_in_the_middle() -> None:
    content = digest_text(
        "First Paper Title",
        abstract("first"),
        "Orphan Title",
        "Third Paper Title",
        abstract("third"),
    )
    digest = parse(content, "middle.txt")
    assert digest.day == MAR13
    assert titles(digest) == ["First Paper Title", "Third Paper Title"]
    [problem] = digest.problems
    assert problem.source == "middle.txt"
    assert problem.line == line_of(content, "Orphan Title")
    assert "title with no abstract" in problem.message
    assert "Orphan Title" in problem.message


def test_title_without_abstract_at_the_end() -> None:
    content = digest_text("First Paper Title", abstract("first"), "Last Orphan")
    digest = parse(content, "end.txt")
    assert titles(digest) == ["First Paper Title"]
    [problem] = digest.problems
    assert problem.source == "end.txt"
    assert problem.line == line_of(content, "Last Orphan")
    assert "title with no abstract" in problem.message


def test_abstract_without_title() -> None:
    content = digest_text(
        "First Paper Title", abstract("first"), abstract("stray"), "Next", abstract("next")
    )
    digest = parse(content)
    assert titles(digest) == ["First Paper Title", "Next"]
    [problem] = digest.problems
    assert problem.line == line_of(content, abstract("stray"))
    assert "abstract with no title" in problem.message


def test_empty_file() -> None:
    digest = parse(b"", "empty.txt")
    assert digest.day is None
    assert digest.papers == []
    [problem] = digest.problems
    assert problem.source == "empty.txt"
    assert "empty" in problem.message


def test_blank_lines_only_is_empty() -> None:
    digest = parse(b"\n \n\t\n\r\n", "blank.txt")
    assert digest.papers == []
    assert "empty" in digest.problems[0].message


def test_binary_file() -> None:
    data = b"Mar 13\nTitle\n\x89PNG\x00\x01\x02"
    digest = parse(data, "image.png")
    assert digest.papers == []
    assert digest.day is None
    [problem] = digest.problems
    assert problem.source == "image.png"
    assert problem.line == 3
    assert "binary" in problem.message


def test_oversized_bytes() -> None:
    digest = parse(b"a" * (MAX_FILE_BYTES + 1), "huge.txt")
    assert digest.papers == []
    [problem] = digest.problems
    assert problem.source == "huge.txt"
    assert "limit" in problem.message


def test_exactly_the_limit_is_accepted() -> None:
    data = GOOD.encode()
    data += b" " * (MAX_FILE_BYTES - len(data))
    assert len(data) == MAX_FILE_BYTES
    digest = parse(data)
    assert len(digest.papers) == 3
    assert digest.problems == []


def test_oversized_file_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: no 20 MB written
    digest = parse_file(path, today=TODAY)
    assert digest.papers == []
    [problem] = digest.problems
    assert problem.source == str(path)
    assert "limit" in problem.message
    assert str(problem).startswith(str(path))


def test_missing_file_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    path = tmp_path / "gone.txt"
    digest = parse_file(path, today=TODAY)
    assert digest.papers == []
    [problem] = digest.problems
    assert problem.source == str(path)
    assert "cannot read" in problem.message


def test_invalid_utf8_reports_the_line_and_parses_the_rest() -> None:
    content = digest_text(
        "First Paper Title",
        abstract("first"),
        "Broken BADBYTE Title",
        abstract("second"),
        "Third Paper Title",
        abstract("third"),
    )
    data = content.encode().replace(b"BADBYTE", b"\xff\xfe")
    digest = parse(data, "latin.txt")
    assert digest.day == MAR13
    assert len(digest.papers) == 3
    assert digest.papers[0].title == "First Paper Title"
    assert "\ufffd" in digest.papers[1].title
    assert digest.papers[2].title == "Third Paper Title"
    [problem] = digest.problems
    assert problem.source == "latin.txt"
    assert problem.line == line_of(content, "Broken BADBYTE Title")
    assert "UTF-8" in problem.message


def test_malformed_real_file(tmp_path: Path) -> None:
    content = digest_text("First Paper Title", abstract("first"), "Orphan Title")
    path = tmp_path / "broken.txt"
    path.write_text(content, encoding="utf-8")
    digest = parse_file(path, today=TODAY)
    assert titles(digest) == ["First Paper Title"]
    [problem] = digest.problems
    assert problem.source == str(path)
    assert problem.line == line_of(content, "Orphan Title")
    assert str(problem) == f"{path}:{problem.line}: {problem.message}"


def test_binary_real_file(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x00\x01\x02" * 100)
    digest = parse_file(path, today=TODAY)
    assert digest.papers == []
    assert "binary" in digest.problems[0].message
    assert digest.problems[0].line == 1


# -- tolerated variations -----------------------------------------------------


def assert_same_as_good(digest: ParsedDigest) -> None:
    assert digest.problems == []
    assert digest.day == MAR13
    assert titles(digest) == ["First Paper Title", "Second Paper Title", "Third Paper Title"]
    assert digest.papers[0].abstract == abstract("first things")


def test_good_digest() -> None:
    assert_same_as_good(parse(GOOD))


def test_crlf_line_endings() -> None:
    assert_same_as_good(parse(GOOD.replace("\n", "\r\n")))


def test_byte_order_mark() -> None:
    assert_same_as_good(parse(b"\xef\xbb\xbf" + GOOD.encode()))


def test_trailing_spaces() -> None:
    assert_same_as_good(parse("\n".join(line + "  \t" for line in GOOD.splitlines())))


def test_extra_blank_lines() -> None:
    assert_same_as_good(parse(GOOD.replace("\n", "\n\n\n")))


def test_no_blank_lines() -> None:
    assert_same_as_good(parse(GOOD.replace("\n\n", "\n")))


def test_missing_header_lines() -> None:
    assert_same_as_good(parse(GOOD[GOOD.index("Mar 13") :]))


def test_different_header_lines() -> None:
    header = "Daily Papers digest\n\nHugging Face\n\nTop of the day, sorted by votes\n"
    assert_same_as_good(parse(GOOD.replace(HEADER, header)))


def test_seed_with_crlf_and_bom_parses_the_same() -> None:
    data = SEED_MAR14.read_bytes()
    variant = b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")
    original, changed = parse(data), parse(variant)
    assert changed.problems == []
    assert titles(changed) == titles(original)
    assert [p.abstract for p in changed.papers] == [p.abstract for p in original.papers]
    assert changed.content_hash != original.content_hash


# -- dates --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "Mar 13",
        "March 13",
        "mar 13",
        "Mar. 13",
        "Mar 13th",
        "Mar 13, 2026",
        "March 13 2026",
        "2026-03-13",
        "  Mar 13  ",
    ],
)
def test_parse_date_forms(value: str) -> None:
    assert parse_date(value, today=TODAY) == MAR13


def test_yearless_date_is_never_in_the_future() -> None:
    assert parse_date("Mar 13", today=dt.date(2026, 3, 12)) == dt.date(2025, 3, 13)
    assert parse_date("Mar 13", today=dt.date(2026, 3, 13)) == dt.date(2026, 3, 13)
    assert parse_date("Dec 31", today=dt.date(2026, 1, 1)) == dt.date(2025, 12, 31)
    assert parse_date("Jan 1", today=dt.date(2026, 1, 1)) == dt.date(2026, 1, 1)


def test_a_year_in_the_text_wins() -> None:
    assert parse_date("Mar 13, 2027", today=dt.date(2026, 1, 1)) == dt.date(2027, 3, 13)
    assert parse_date("Mar 13, 2020", today=TODAY) == dt.date(2020, 3, 13)
    assert parse_date("2027-03-13", today=dt.date(2026, 1, 1)) == dt.date(2027, 3, 13)


def test_feb_29_without_year_is_the_latest_leap_year() -> None:
    assert parse_date("Feb 29", today=TODAY) == dt.date(2024, 2, 29)
    assert parse_date("Feb 29", today=dt.date(2028, 2, 28)) == dt.date(2024, 2, 29)
    assert parse_date("Feb 29", today=dt.date(2028, 2, 29)) == dt.date(2028, 2, 29)
    assert parse_date("Feb 29", today=dt.date(2101, 3, 1)) == dt.date(2096, 2, 29)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Mar",
        "13",
        "hello world",
        "Foo 13",
        "Mar 32",
        "Feb 30",
        "Feb 29, 2026",
        "2026-13-01",
        "2026-02-30",
        "Mar 13 in the morning",
        "Subscribe",
    ],
)
def test_parse_date_garbage(value: str) -> None:
    assert parse_date(value, today=TODAY) is None


def test_parse_date_defaults_to_today() -> None:
    today = dt.date.today()
    assert parse_date(f"{today:%b} {today.day}") == today


# -- links --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "https://github.com/luffycodes/MalAlgoQA-Dataset{here}.",
            "https://github.com/luffycodes/MalAlgoQA-Dataset",
        ),
        ("https://aka.ms/orca-lm),", "https://aka.ms/orca-lm"),
        ("https://talc-mst2v.github.io/.", "https://talc-mst2v.github.io/"),
        (
            "https://github.com/YookiTong/Learn-from-Mistakes-CotErrorSet}.",
            "https://github.com/YookiTong/Learn-from-Mistakes-CotErrorSet",
        ),
        (
            "https://www.jenmusic.ai/research#DreamStyler.",
            "https://www.jenmusic.ai/research#DreamStyler",
        ),
        ("https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("https://en.wikipedia.org/wiki/Foo_(bar)).", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("https://example.org/a]", "https://example.org/a"),
    ],
)
def test_trim_url(raw: str, expected: str) -> None:
    assert trim_url(raw) == expected


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://github.com/luffycodes/MalAlgoQA-Dataset", "code"),
        ("http://github.com/ddgoodgood/TRCE", "code"),
        ("https://gist.github.com/someone/123", "code"),
        ("https://huggingface.co/datasets/x", "code"),
        ("https://anonymous.4open.science/r/mocoop-6387", "code"),
        ("https://talc-mst2v.github.io/", "project"),
        ("https://aka.ms/orca-lm", "project"),
        ("https://Make-A-Voice.github.io", "project"),
        ("https://notgithub.com/x", "project"),
    ],
)
def test_classify_link(url: str, kind: str) -> None:
    assert classify_link(url) == kind


def test_extract_links_in_order_without_duplicates() -> None:
    abstract_text = (
        "Code is at \\url{https://github.com/YookiTong/Learn-from-Mistakes-CotErrorSet}. "
        "See the policy (published at https://aka.ms/orca-lm), and the site "
        "https://talc-mst2v.github.io/. Again: https://aka.ms/orca-lm."
    )
    assert extract_links(abstract_text) == (
        Link("https://github.com/YookiTong/Learn-from-Mistakes-CotErrorSet", "code"),
        Link("https://aka.ms/orca-lm", "project"),
        Link("https://talc-mst2v.github.io/", "project"),
    )


def test_extract_links_ignores_bare_schemes() -> None:
    assert extract_links("see https://. and http:// for nothing") == ()
    assert extract_links("no links here") == ()


def test_text_that_no_url_parser_accepts_is_no_link_and_no_error() -> None:
    """Found by `make soak`'s fuzzing: `https://[` made urlsplit raise "Invalid IPv6 URL"
    and the whole file fail to parse."""
    assert classify_link("https://[") is None
    assert extract_links("website https://[ then https://a.io") == (
        Link("https://a.io", "project"),
    )
    digest = parse_bytes(b"Mar 13\n\nA Title\n\nThe website is https://[\n", "soak.txt")
    assert [paper.title for paper in digest.papers] == ["A Title"]
    assert digest.papers[0].links == ()


def test_unicode_line_separators_inside_an_abstract_do_not_split_it() -> None:
    # str.splitlines() would cut these abstracts in two and mis-pair every paper after.
    content = digest_text(
        "First Paper Title",
        abstract("first").replace("Our", "Our\u2028"),
        "Second Paper Title",
        abstract("second").replace("Our", "Our\x0c"),
        "Third Paper Title",
        abstract("third").replace("Our", "Our\x85"),
    )
    digest = parse(content)
    assert digest.problems == []
    assert titles(digest) == ["First Paper Title", "Second Paper Title", "Third Paper Title"]
    assert "\u2028" in digest.papers[0].abstract


def test_old_mac_line_endings() -> None:
    assert_same_as_good(parse(GOOD.replace("\n", "\r")))


def test_invalid_utf8_line_with_crlf_endings() -> None:
    content = GOOD.replace("Second Paper Title", "Second \udcff Title")
    data = content.encode("utf-8", errors="surrogateescape").replace(b"\n", b"\r\n")
    digest = parse(data)
    assert len(digest.papers) == 3
    [problem] = digest.problems
    assert problem.line == line_of(content, "Second \udcff Title")


def test_a_missing_date_line_explains_an_empty_day() -> None:
    # ingest adds "no papers found" only when no problem already says what is wrong.
    nameless = parse(digest_text("Just A Title", header="", date=None), "2026-03-15.txt")
    assert nameless.day == dt.date(2026, 3, 15) and not nameless.papers
    assert nameless.explained_empty
    assert not parse(digest_text(date="Mar 15")).explained_empty
