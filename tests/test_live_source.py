"""The Hub as a live source, end to end: the real bot under SimCord, asking the fake Hub
(tests/hub_server.py) on 127.0.0.1, its clock SimCord's virtual one.

At the start (2026-03-20 06:00 UTC) the fake Hub lists the fixture days 03-16 to 03-19;
the bot's first pass fetches the last three complete ones. Each test then makes the Hub
list 2026-03-20 (the seeds' papers of 03-16, with invented ids, authors and upvotes),
which is complete at 2026-03-21 02:00 (the day's end plus the 120-minute settle time).

SimCord settles the bot before moving its clock, so a request in flight holds the clock
still: a Hub timeout cannot happen inside `advance_time`. The timeout test runs that one
pass from the test (where timers keep real time), then lets the loop carry on.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.config import Settings
from tests.cogs.seen import titles
from tests.hub_server import FakeHub, fixture_days
from tests.reliability import fast_settle
from tests.simbot import Sim, embed_titles, setup_server, user_messages

MAR16, MAR17, MAR18, MAR19, MAR20 = (dt.date(2026, 3, 16) + dt.timedelta(n) for n in range(5))
POLL = 30 * 60
COMPLETE = dt.datetime(2026, 3, 21, 2, 0, tzinfo=dt.UTC)  # MAR20's end + settle time
NEW_DAY = fixture_days()[MAR16]  # 20 papers the archive does not hold yet (03-16 is not fetched)


@pytest.fixture
def digest_dir(tmp_path: Path) -> Path:
    """An empty folder: a live deployment's papers all come from the Hub."""
    folder = tmp_path / "fetched"
    folder.mkdir()
    return folder


@pytest.fixture(autouse=True)
def quick_settling(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_settle(monkeypatch)  # days of passes: SimCord's 50 ms idle checks add up


@pytest.fixture
def poll_seconds() -> float:
    return POLL


@pytest.fixture
def bot_settings(
    tmp_path: Path, digest_dir: Path, fake_hub: FakeHub, poll_seconds: float
) -> Settings:
    return Settings(
        database=tmp_path / "p.db",
        digest_dir=digest_dir,
        poll_seconds=poll_seconds,
        hf_url=fake_hub.url,
        hf_timeout_seconds=0.5,
    )


@pytest.fixture
async def world(sim: Sim, fake_hub: FakeHub) -> Sim:
    """A server set up at the start, after the first pass fetched 03-17 to 03-19."""
    setup_server(sim)
    assert [summary.day for summary in await sim.bot.catalog.known_days()] == [
        MAR19,
        MAR18,
        MAR17,
    ]
    await sim.admin.slash(sim.channel, "setup", channel=sim.channel)
    sim.hub = fake_hub
    return sim


async def advance_to(sim: Sim, moment: dt.datetime) -> None:
    """Move the clock to `moment`, the loop running as it comes due. SimCord bounds each
    `advance_time` call by 5 real seconds, so a long wait is taken a few passes at once."""
    while (left := (moment - sim.env.now()).total_seconds()) > 0:
        await sim.env.advance_time(min(left, 4 * POLL))


async def advance(sim: Sim, seconds: float) -> None:
    await advance_to(sim, sim.env.now() + dt.timedelta(seconds=seconds))


def thread_of(sim: Sim, day: dt.date) -> Any:
    threads = [thread for thread in sim.channel.threads if thread.name == f"Papers {day}"]
    assert len(threads) == 1, [thread.name for thread in sim.channel.threads]
    return threads[0]


def cards(sim: Sim, day: dt.date) -> list[discord.Embed]:
    return [embed for message in user_messages(thread_of(sim, day)) for embed in message.embeds]


def headers(sim: Sim) -> list[str]:
    return [message.content for message in user_messages(sim.channel)]


def assert_posted_once(sim: Sim, day: dt.date, papers: int) -> None:
    assert [text.split("\n")[0] for text in headers(sim)] == [
        f"📰 **Daily Papers — {day:%A, %B} {day.day}, {day.year}** · {papers} papers"
    ]
    titles = embed_titles(user_messages(thread_of(sim, day)))
    assert len(titles) == len(set(titles)) == papers


def new_item(number: int, title: str) -> dict[str, Any]:
    return {
        "title": title,
        "summary": f"We study {title.lower()} at scale and release code.",
        "paper": {"id": f"2603.98{number:03d}", "authors": [{"name": "Ada Lovelace"}]},
    }


# -- a new day -------------------------------------------------------------------------


async def test_a_new_day_is_posted_once_when_complete_and_never_again(world: Sim) -> None:
    world.hub.set_day(MAR20, NEW_DAY)
    await advance_to(world, COMPLETE - dt.timedelta(minutes=1))
    assert headers(world) == []  # the day is not complete yet: not even asked for
    assert world.hub.requests_for(MAR20) == []
    await advance_to(world, COMPLETE + dt.timedelta(seconds=POLL + 1))
    assert_posted_once(world, MAR20, 20)
    first = cards(world, MAR20)[0]
    assert first.title == "1. TALC: Time-Aligned Captions for Multi-Scene Text-to-Video Generation"
    assert first.url == "https://arxiv.org/abs/2603.99001"
    summary, byline = first.description.split("\n")[:2]
    assert summary.startswith("Recent advances in diffusion-based generative modeling")
    assert byline.startswith("Mateo Hoang, Tariq Kowalczyk · ▲ 171 · ")  # invented for the fixture
    assert "[PDF](https://arxiv.org/pdf/2603.99001)" in byline
    assert "▲" in headers(world)[0] and "Most upvoted:" in headers(world)[0]
    # Refetches over the next days, and a restart, post nothing more.
    await advance(world, 3 * 24 * 3600)
    assert len(world.hub.requests_for(MAR20)) >= 3
    await world.restart()
    await advance(world, 24 * 3600)
    assert_posted_once(world, MAR20, 20)


async def test_setup_shows_the_source(world: Sim) -> None:
    result = await world.admin.slash(world.channel, "setup")
    assert "Papers come from Hugging Face: last fetched <t:" in result.response.content
    assert "newest day Mar 19, 2026." in result.response.content
    world.hub.set_day(MAR20, NEW_DAY)
    world.hub.fail_next(1, day=MAR20)
    await advance_to(world, COMPLETE + dt.timedelta(seconds=1))
    shown = (await world.admin.slash(world.channel, "setup")).response.content
    assert "Last error (<t:" in shown
    assert "2026-03-20: the Hub answered 500 Internal Server Error" in shown


# -- faults ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        lambda hub: hub.fail_next(3, day=MAR20),
        lambda hub: hub.fail_next(1, status=503, day=MAR20),
        lambda hub: hub.html_next(day=MAR20),
        lambda hub: hub.dict_next(day=MAR20),
        lambda hub: hub.invalid_json_next(day=MAR20),
    ],
    ids=["three 500s", "503", "an HTML page with 200", "an object", "invalid JSON"],
)
async def test_a_faulty_hub_still_posts_the_day_once(world: Sim, fault) -> None:
    world.hub.set_day(MAR20, NEW_DAY)
    fault(world.hub)
    await advance_to(world, COMPLETE + dt.timedelta(hours=2))
    assert world.hub.requests_for(MAR20)[0].fault is not None
    assert_posted_once(world, MAR20, 20)
    assert world.bot.get_cog("Poller").poll.is_running()


async def test_a_429_is_waited_out(world: Sim) -> None:
    world.hub.set_day(MAR20, NEW_DAY)
    world.hub.rate_limit_next("7200", day=MAR20)  # two hours
    await advance_to(world, COMPLETE + dt.timedelta(seconds=POLL + 1))
    assert headers(world) == []
    await advance_to(world, COMPLETE + dt.timedelta(hours=2, seconds=POLL + 1))
    assert_posted_once(world, MAR20, 20)
    (header,) = user_messages(world.channel)
    assert header.created_at >= COMPLETE + dt.timedelta(hours=2)
    assert [request.fault for request in world.hub.requests_for(MAR20)] == ["429", None]


@pytest.mark.parametrize("poll_seconds", [24 * 3600])  # the loop: 06:00 each day
async def test_a_timeout_ends_one_pass_and_the_loop_posts_the_day(world: Sim) -> None:
    world.hub.set_day(MAR20, NEW_DAY)
    world.hub.slow_next(3.0, day=MAR20)
    await advance_to(world, COMPLETE + dt.timedelta(minutes=5))
    assert world.hub.requests_for(MAR20) == []  # the loop has not run since 06:00
    await world.bot.run_pass()  # as the loop would, but on the test's real-time timers
    state = world.bot.hub_source.state
    assert state.last_error == "2026-03-20: the Hub did not answer within 0.5 s"
    assert headers(world) == []
    await advance_to(world, dt.datetime(2026, 3, 21, 6, 1, tzinfo=dt.UTC))
    assert_posted_once(world, MAR20, 20)
    assert world.bot.get_cog("Poller").poll.is_running()


async def test_a_malformed_item_is_named_and_the_rest_posted(
    world: Sim, caplog: pytest.LogCaptureFixture
) -> None:
    items = [*NEW_DAY[:3], "not an item", *NEW_DAY[3:]]
    world.hub.set_day(MAR20, items)
    with caplog.at_level(logging.WARNING, logger="bot"):
        await advance_to(world, COMPLETE + dt.timedelta(seconds=POLL + 1))
    assert_posted_once(world, MAR20, 20)
    reported = [record.getMessage() for record in caplog.records if "item 3" in record.getMessage()]
    assert reported
    assert reported[0].endswith("hf-2026-03-20.json: item 3: not an object but a string")


# -- a day that changes ----------------------------------------------------------------


async def test_a_long_day_over_two_pages_arrives_whole(world: Sim) -> None:
    world.hub.set_day(MAR20, fixture_days()[MAR17])  # 115 papers, known from 03-17
    await advance_to(world, COMPLETE + dt.timedelta(seconds=POLL + 1))
    assert [request.page for request in world.hub.requests_for(MAR20)] == [0, 1]
    assert_posted_once(world, MAR20, 115)


async def test_a_day_that_grows_posts_just_the_new_papers(world: Sim) -> None:
    world.hub.set_day(MAR20, NEW_DAY)
    await advance_to(world, COMPLETE + dt.timedelta(seconds=POLL + 1))
    assert len(cards(world, MAR20)) == 20
    world.hub.add_items(MAR20, [new_item(n, f"Brand New Widgets {n}") for n in range(3)])
    await advance(world, 24 * 3600 + POLL)  # the day's daily refetch
    titles = embed_titles(user_messages(thread_of(world, MAR20)))
    assert titles[20:] == ["Brand New Widgets 0", "Brand New Widgets 1", "Brand New Widgets 2"]
    assert len(titles) == len(set(titles)) == 23
    assert len(headers(world)) == 1


async def test_changed_upvotes_show_in_paper_without_a_repost(world: Sim) -> None:
    world.hub.set_day(MAR20, NEW_DAY)
    await advance_to(world, COMPLETE + dt.timedelta(seconds=POLL + 1))
    before = len(user_messages(thread_of(world, MAR20)))
    later = copy.deepcopy(NEW_DAY)
    later[0]["paper"]["upvotes"] = 999
    later[0]["numComments"] = 42
    world.hub.set_day(MAR20, later)
    await advance(world, 24 * 3600 + POLL)
    result = await world.admin.slash(world.channel, "paper", title="arXiv:2603.99001")
    (embed,) = result.response.embeds
    assert embed.url == "https://arxiv.org/abs/2603.99001"
    assert {field.name: field.value for field in embed.fields}["Upvotes"] == "▲ 999"
    assert len(user_messages(thread_of(world, MAR20))) == before
    assert len(headers(world)) == 1


# -- alerts and search -----------------------------------------------------------------


async def test_subscriptions_match_the_new_day(world: Sim) -> None:
    member = world.guild.add_member(world.env.create_user("bob"))
    await member.slash(world.channel, "subscribe", keyword="multi-scene video")  # an abstract
    await member.slash(world.channel, "subscribe", keyword="time-aligned captions")  # a title
    world.hub.set_day(MAR20, NEW_DAY)
    await advance_to(world, COMPLETE + dt.timedelta(seconds=POLL + 1))
    alerts = [m for m in user_messages(thread_of(world, MAR20)) if "<@" in m.content]
    assert len(alerts) == 1 and alerts[0].content.startswith(f"<@{member.id}>")
    assert "TALC: Time-Aligned Captions" in alerts[0].content
    assert "time-aligned captions" in alerts[0].content and "multi-scene video" in alerts[0].content


async def test_an_author_query_finds_that_authors_papers(world: Sim) -> None:
    result = await world.admin.slash(world.channel, "search", query="Yann LeCun")
    (embed,) = result.response.embeds
    names = titles(embed)
    assert names == ["Distinguishing Ignorance from Error in LLM Hallucinations"]
    narrowed = await world.admin.slash(world.channel, "search", query="nadia petrov hallucinations")
    assert titles(narrowed.response.embeds[0])[0] == names[0]
