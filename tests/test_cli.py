"""bot.cli: the `paperboy` command, run in-process against a real database file.

The command resolves the seeds' yearless dates against the real clock, so these tests
match any year rather than 2026.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.config import Settings
from bot.fetch_progress import fetch_days
from bot.hub_plan import newest_complete_day
from bot.ingest_progress import ingest_files
from bot.search import Catalog
from tests.conftest import SEEDS
from tests.hub_server import FakeHub
from tests.test_ingest_bulk import write_archive

ENV_NAMES = (
    "DISCORD_TOKEN",
    "PAPERBOY_DATABASE",
    "PAPERBOY_DIGEST_DIR",
    "PAPERBOY_POLL_SECONDS",
    "PAPERBOY_DEV_GUILD_ID",
    "PAPERBOY_LOG_LEVEL",
    "PAPERBOY_HF_URL",
    "PAPERBOY_HF_SETTLE_MINUTES",
    "PAPERBOY_HF_LOOKBACK_DAYS",
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seeds_dir: Path) -> Path:
    """A clean environment: a fresh database, the seeds copy, no .env in the way."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    database = tmp_path / "cli.db"
    monkeypatch.setenv("PAPERBOY_DATABASE", str(database))
    monkeypatch.setenv("PAPERBOY_DIGEST_DIR", str(seeds_dir))
    monkeypatch.setenv("PAPERBOY_HF_URL", "off")
    monkeypatch.chdir(tmp_path)
    return database


@pytest.fixture
def ingested(env: Path, seeds_dir: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(["ingest", str(seeds_dir)]) == 0
    capsys.readouterr()
    return env


def test_ingest(env: Path, seeds_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(seeds_dir)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == (
        "2 files read: 2 days, 166 appearances, 163 new papers, 0 problems"
    )
    assert "79 new papers" in out
    assert "84 new papers, 3 already known, 87 added to the day" in out
    assert env.is_file()


def test_ingest_twice(env: Path, seeds_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(seeds_dir)]) == 0
    capsys.readouterr()
    assert main(["ingest", str(seeds_dir)]) == 0
    out = capsys.readouterr().out
    assert "nothing new" in out.splitlines()[-1]
    assert out.count("already ingested") == 2
    assert "new papers" not in out.splitlines()[-1]


def test_ingest_defaults_to_the_digest_folder(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest"]) == 0
    assert "163 new papers" in capsys.readouterr().out


def test_ingest_a_single_file(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(SEEDS / "000_504b839db1386ce8.txt")]) == 0
    assert "1 file read: 1 day, 79 appearances, 79 new papers" in capsys.readouterr().out


def test_ingest_a_binary_file_fails(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "junk"
    folder.mkdir()
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert main(["ingest", str(folder)]) != 0
    out = capsys.readouterr().out
    assert "image.png" in out
    assert "binary" in out
    assert "nothing new; 1 problem" in out


def test_ingest_a_missing_path_fails(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope"
    assert main(["ingest", str(missing)]) != 0
    assert f"{missing}: no such file or folder" in capsys.readouterr().out


def test_search_with_typos(ingested: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "conept", "botleneck"]) == 0
    out = capsys.readouterr().out
    # The bot's words: what was searched, in place of the typos.
    assert out.splitlines()[:2] == [
        "Showing results for: concept bottleneck",
        "7 results for “concept bottleneck”:",
    ]
    first = next(line for line in out.splitlines() if line.lstrip().startswith("1. "))
    assert "Concept Bottleneck" in first
    assert re.search(r"\[\d{4}-03-14\]$", first)


def test_search_shows_corrections_as_words_not_stems(
    ingested: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "langauge", "modles"]) == 0
    assert "Showing results for: language models" in capsys.readouterr().out


def test_search_names_the_words_it_left_out(
    ingested: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "concept", "bottleneck", "zzzzqqq"]) == 0
    out = capsys.readouterr().out
    assert "Left out (in no paper): zzzzqqq" in out
    assert "Concept Bottleneck" in next(line for line in out.splitlines() if "1. " in line)


def test_search_limit(ingested: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "diffusion", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"^\s+\d+\. ", out, re.MULTILINE)) == 3


def test_search_without_matches(ingested: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "zzzzqqq"]) == 1
    assert "No papers match “zzzzqqq”. Try fewer words" in capsys.readouterr().out


def test_search_on_an_empty_archive(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "diffusion"]) == 1
    assert capsys.readouterr().out == "No digests are loaded yet. Run `paperboy ingest` first.\n"


def test_random_topic(ingested: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["random", "--topic", "diffusion"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Random paper on “diffusion”\n\n")
    assert re.search(r"^Appeared: \d{4}-03-1[34]", out, re.MULTILINE)
    assert "diffus" in out.lower()


def test_random(ingested: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["random"]) == 0
    assert re.search(r"^Appeared: \d{4}-03-1[34]", capsys.readouterr().out, re.MULTILINE)


def test_random_unknown_topic(ingested: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["random", "--topic", "zzzzqqq"]) == 1
    assert capsys.readouterr().out == "No paper is about “zzzzqqq”. Try a broader topic.\n"


def test_random_on_an_empty_archive(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["random"]) == 1
    assert capsys.readouterr().out == "No digests are loaded yet. Run `paperboy ingest` first.\n"


def test_day(ingested: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["day", "Mar 13"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"\w+day, March 13, \d{4}: 79 papers", lines[0])
    assert len(lines) == 80
    assert lines[1] == "  1. TALC: Time-Aligned Captions for Multi-Scene Text-to-Video Generation"


def test_day_defaults_to_the_latest(ingested: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["day"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"March 14, \d{4}: 87 papers", out)


def test_unknown_day(ingested: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["day", "Mar 15"]) == 1
    out = capsys.readouterr().out
    # The bot's own words, as /digest and /post answer.
    assert re.search(r"No digest for Mar 15, (\d{4})\. Nearest days: Mar 13, \1, Mar 14, \1\.", out)


def test_day_that_is_not_a_date(ingested: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["day", "someday"]) == 1
    assert "“someday” is not a date. Try `Mar 14`" in capsys.readouterr().out


def test_day_on_an_empty_archive(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["day", "Mar 13"]) == 1
    assert capsys.readouterr().out == "No digests are loaded yet. Run `paperboy ingest` first.\n"


def test_run_without_token(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN" in err
    assert ".env" in err


def test_configuration_error_exits_2(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PAPERBOY_POLL_SECONDS", "often")
    assert main(["search", "diffusion"]) == 2
    err = capsys.readouterr().err
    assert "configuration error" in err
    assert "PAPERBOY_POLL_SECONDS" in err


def test_dotenv_in_the_working_directory_is_read(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PAPERBOY_DATABASE")
    (tmp_path / ".env").write_text(f"PAPERBOY_DATABASE={tmp_path / 'dotenv.db'}\n", "utf-8")
    assert main(["ingest"]) == 0
    assert (tmp_path / "dotenv.db").is_file()
    assert not env.exists()


def test_unknown_command_exits_with_usage(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["fly"])
    assert caught.value.code == 2
    assert "usage" in capsys.readouterr().err


# -- input that is not a digest file, a database that is not a database ------------------


def test_ingest_reads_only_regular_files(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # opening it would wait for a writer forever
    assert main(["ingest", "/dev/zero", str(fifo)]) == 1
    out = capsys.readouterr().out
    assert out.count("not a regular file; only digest files are read") == 2


def test_a_corrupt_database_is_named_and_left_alone(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = env
    garbage = b"this is not a database, it is a note " * 100
    database.write_bytes(garbage)
    assert main(["search", "diffusion"]) == 2
    err = capsys.readouterr().err
    assert f"{database}: is not a usable SQLite database (file is not a database)" in err
    assert "never overwrites it" in err and "Traceback" not in err
    assert database.read_bytes() == garbage


def test_the_bot_refuses_to_start_on_a_corrupt_database_before_connecting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import discord

    from bot.config import Settings
    from bot.runner import run

    database = tmp_path / "broken.db"
    database.write_bytes(b"\x00" * 4096 + b"not sqlite")

    async def never_connect(*args: object, **kwargs: object) -> None:
        raise AssertionError("the bot connected to Discord with an unusable database")

    monkeypatch.setattr(discord.Client, "login", never_connect)
    settings = Settings(token="not.a.real.token", database=database, digest_dir=tmp_path)
    assert run(settings) == 2
    [message] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert message.startswith(f"cannot start: {database}: is not a usable SQLite database")


def test_an_unreadable_folder_is_named_and_the_rest_loads(
    env: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    real_iterdir = Path.iterdir

    def iterdir(path: Path):  # root may read any folder: stand in for its permissions
        if path == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_iterdir(path)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    assert main(["ingest", str(locked), str(SEEDS)]) == 0
    out = capsys.readouterr().out
    assert f"{locked}: cannot read this folder (Permission denied); check its permissions" in out
    assert "163 new papers" in out


# -- paperboy fetch ---------------------------------------------------------------------


@pytest.fixture
def hub_env(env: Path, fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The environment with the Hub source on, asking the fake Hub, and no digest folder
    set: fetched days go to `digests/` beside the database."""
    monkeypatch.setenv("PAPERBOY_HF_URL", fake_hub.url)
    monkeypatch.setenv("PAPERBOY_DATABASE", str(tmp_path / "data" / "cli.db"))
    monkeypatch.delenv("PAPERBOY_DIGEST_DIR")
    return tmp_path / "data" / "digests"


def last_complete_days(count: int) -> list[dt.date]:
    newest = newest_complete_day(dt.datetime.now(dt.UTC))  # `fetch` asks the real clock
    return [newest - dt.timedelta(days=n) for n in reversed(range(count))]


def test_fetch_the_last_days_then_nothing_more(
    hub_env: Path, fake_hub: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    first, empty, last = last_complete_days(3)
    fake_hub.set_day(first, fake_hub.items(dt.date(2026, 3, 16)))
    fake_hub.set_day(last, fake_hub.items(dt.date(2026, 3, 18)))
    assert main(["fetch", "--days", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        f"[1/3] {first}: 20 papers",
        f"[2/3] {empty}: no papers",
        f"[3/3] {last}: 12 papers, 5 problems",
    ]
    assert out[3] == f"{first} to {last}: 2 days fetched, 32 papers, 1 empty days, 5 problems"
    assert out[4].startswith(f"  problem: {hub_env / f'hf-{last}.json'}: item 9: not an arXiv id")
    assert out[-1].startswith("Loaded into the archive: 2 files read: 2 days, 32 appearances")
    assert sorted(path.name for path in hub_env.iterdir()) == [
        ".hf-empty-days.json",
        f"hf-{first}.json",
        f"hf-{last}.json",
    ]
    asked = len(fake_hub.requests)
    assert main(["fetch", "--since", str(first)]) == 0
    assert capsys.readouterr().out == (
        f"{first} to {last}: every day is already in the folder; nothing fetched.\n"
    )
    assert len(fake_hub.requests) == asked


def test_fetch_says_when_the_hub_is_off_or_the_arguments_are_wrong(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fetch"]) == 2
    assert "The Hub source is off" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["fetch", "--since", "March 3"])
    with pytest.raises(SystemExit):
        main(["fetch", "--since", "2026-03-01", "--days", "3"])


async def test_fetch_stops_after_repeated_faults_and_a_rerun_goes_on(
    fake_hub: FakeHub, catalog: Catalog, tmp_path: Path
) -> None:
    settings = Settings(database=tmp_path / "p.db", hf_url=fake_hub.url)
    clock = lambda: dt.datetime(2026, 3, 20, 3, tzinfo=dt.UTC)  # noqa: E731
    fake_hub.fail_next(5, day=dt.date(2026, 3, 18))  # as many as a backfill tries in a row
    out = io.StringIO()
    code = await fetch_days(
        catalog, settings, dt.date(2026, 3, 17), None, out, clock=clock, pause_seconds=0.01
    )
    lines = out.getvalue().splitlines()
    assert code == 1 and lines[0] == "[1/3] 2026-03-17: 115 papers"
    assert lines[-2] == (
        "Stopped: 2026-03-18: the Hub answered 500 Internal Server Error. "
        "Run it again to go on from there."
    )
    assert lines[-1].startswith("Loaded into the archive: 1 file read: 1 day, 115 appearances")
    again = io.StringIO()
    code = await fetch_days(
        catalog, settings, dt.date(2026, 3, 17), None, again, clock=clock, pause_seconds=0.01
    )
    assert code == 0
    assert again.getvalue().splitlines()[:2] == [
        "[1/2] 2026-03-18: 12 papers, 5 problems",
        "[2/2] 2026-03-19: 5 papers",
    ]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_fetch_draws_a_bar_on_a_terminal(
    fake_hub: FakeHub, catalog: Catalog, tmp_path: Path
) -> None:
    settings = Settings(database=tmp_path / "p.db", hf_url=fake_hub.url)
    clock = lambda: dt.datetime(2026, 3, 20, 3, tzinfo=dt.UTC)  # noqa: E731
    out = Terminal()
    assert await fetch_days(catalog, settings, None, 2, out, clock=clock) == 0
    shown = out.getvalue()
    assert "2026-03-19: 5 papers" in shown and "2/2" in shown  # rich's last frame
    assert "2026-03-18 to 2026-03-19: 2 days fetched, 17 papers" in shown


# -- the command line as a tool: help, pipes, progress -------------------------------------


def test_every_argument_has_help() -> None:
    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, command in commands.choices.items():
        for action in command._actions:
            if not isinstance(action, argparse._HelpAction):
                assert action.help and action.help != argparse.SUPPRESS, (name, action.dest)
    with pytest.raises(SystemExit):
        main(["search", "diffusion", "--limit", "0"])


@pytest.mark.parametrize("command", [["day"], ["search", "language", "models", "--limit", "50"]])
def test_output_into_a_closed_pipe_ends_quietly(ingested: Path, command: list[str]) -> None:
    """`paperboy day | head`: the reader has gone before the writing ends."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", *command],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.stderr == ""  # no BrokenPipeError traceback, no "Exception ignored"
    assert done.returncode == 0


def test_a_shell_pipeline_into_head_exits_0(ingested: Path) -> None:
    done = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m bot.cli day | head -2; echo "${{PIPESTATUS[0]}}"'],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"\w+day, March 14, \d{4}: 87 papers", lines[0])
    assert lines[1].startswith("  1. QCRD") and lines[-1] == "0"
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_ingest_prints_each_file_as_it_is_stored_when_piped(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_archive(tmp_path / "archive")  # enough files for the bulk path
    assert main(["ingest", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    summaries = [line for line in lines if not line.startswith("  problem: ")]
    assert len(summaries) == len(list(folder.iterdir())) + 1  # a line a file, then totals
    assert summaries[0].startswith(f"{folder / '2025-01-01.txt'}: 2025-01-01, 4 new papers")
    assert summaries[-1].startswith(f"{len(summaries) - 1} files read: ")
    assert any(line.startswith("  problem: ") for line in lines)


async def test_ingest_draws_a_bar_with_counts_and_rate_on_a_terminal(
    catalog: Catalog, tmp_path: Path
) -> None:
    folder = write_archive(tmp_path / "archive")
    files = sorted(folder.iterdir())
    out = Terminal()
    reports = await ingest_files(catalog, files, out)
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())  # colours and cursor moves
    new = sum(report.outcome.new_papers for report in reports if report.outcome)
    assert f"{len(files)}/{len(files)} files · {new:,} new papers" in shown  # rich's last frame
    assert "files/s" in shown
    # After the bar, each file's summary, in name order.
    after = shown.rsplit("files/s", 1)[1]
    assert after.index("2025-01-01.txt") < after.index("2025-01-02.txt")


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        ("network", "cannot reach Discord (Cannot connect to host discord.com:443)"),
        ("token", "Discord rejected DISCORD_TOKEN; check it in the developer portal"),
    ],
)
def test_run_says_in_one_line_what_failed_and_what_to_check(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
    expected: str,
) -> None:
    import aiohttp
    import discord

    from bot.config import Settings
    from bot.runner import run

    async def login(*args: object, **kwargs: object) -> None:
        if failure == "network":
            raise aiohttp.ClientConnectionError("Cannot connect to host discord.com:443")
        raise discord.LoginFailure("Improper token has been passed.")

    monkeypatch.setattr(discord.Client, "login", login)
    settings = Settings(token="not.a.real.token", database=tmp_path / "p.db", digest_dir=tmp_path)
    assert run(settings) == 2
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0].exc_info is None  # no traceback
    assert errors[0].getMessage().startswith(expected)
    assert not any("PyNaCl" in r.getMessage() for r in caplog.records)
