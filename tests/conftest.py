"""Shared fixtures: a real SQLite file in a temporary folder, loaded from the real seeds."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import simcord

from bot.client import Paperboy, create_bot
from bot.config import Settings
from bot.ingest import ingest_paths
from bot.search import Catalog
from bot.storage import Database
from tests.simbot import Sim, assert_all_answered, raise_unexpected_errors

pytest_plugins = ["tests.hub_server", "tests.posting_world"]  # the `fake_hub` fixture

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_MAR13 = SEEDS / "000_504b839db1386ce8.txt"
SEED_MAR14 = SEEDS / "002_51c00633ee49e7be.txt"
# The seeds carry no year: pin "today" so Mar 13/14 resolve to 2026.
TODAY = dt.date(2026, 11, 22)


# -- no network ---------------------------------------------------------------------------

LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


@pytest.fixture(autouse=True, scope="session")
def no_network() -> Iterator[None]:
    """Every test runs offline: a connection or name lookup beyond this machine fails at
    once, naming what was tried (the Hub is the fake one in tests/hub_server.py)."""
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOCAL_HOSTS:
            raise OSError(f"tests stay on 127.0.0.1, but something connected to {address}")
        real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name not in LOCAL_HOSTS:
            raise OSError(f"tests stay on 127.0.0.1, but something looked up {name!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        yield


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    """A private copy of the seed digests, safe to add files to."""
    folder = tmp_path / "digests"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = await Database.open(tmp_path / "paperboy.db")
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture
async def catalog(database: Database) -> Catalog:
    """A catalog over an empty database."""
    return await Catalog.load(database)


@pytest.fixture
async def seeded(catalog: Catalog) -> Catalog:
    """A catalog holding both seed digests, tidied as after the bot's pass (which
    describes what the papers are about: bot.catch_up)."""
    await ingest_paths(catalog, [SEEDS], today=TODAY)
    await catalog.tidy()
    return catalog


# -- the real bot under SimCord ---------------------------------------------------------
# `simcord_env` (SimCord's plugin fixture, replaced here to set the clock) runs our
# `simcord_bot`; these fixtures give it paperboy over a temporary database and folder.

#: Where SimCord's virtual clock starts (its own default is 2026-01-01): after the seed
#: days and the days the tests write, so none of them is in the future.
SIM_START = dt.datetime(2026, 3, 20, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def digest_dir(seeds_dir: Path) -> Path:
    """The bot's digest folder; override in a module to add files before it starts."""
    return seeds_dir


@pytest.fixture
def bot_settings(tmp_path: Path, digest_dir: Path) -> Settings:
    return Settings(database=tmp_path / "p.db", digest_dir=digest_dir, poll_seconds=60)


@pytest.fixture
async def started_bots() -> AsyncIterator[list[Paperboy]]:
    """Every bot a test starts; their databases close after SimCord shuts down."""
    bots: list[Paperboy] = []
    yield bots
    for bot in bots:
        if bot.hub_source is not None:
            await bot.hub_source.client.close()
        if bot.started:
            await bot.database.close()


@pytest.fixture
def simcord_bot(bot_settings: Settings, started_bots: list[Paperboy]) -> Paperboy:
    bot = create_bot(bot_settings)
    started_bots.append(bot)
    return bot


@pytest.fixture
async def simcord_env(
    simcord_bot: Paperboy, request: pytest.FixtureRequest
) -> AsyncIterator[simcord.Env]:
    """SimCord's environment around the bot, its clock at `SIM_START` or at the time
    a test names with `@pytest.mark.sim_start(datetime)`, before the bot starts."""
    marker = request.node.get_closest_marker("sim_start")
    start = marker.args[0] if marker else SIM_START
    env = simcord.Env(simcord_bot)
    env.backend.clock.elapsed = (start - env.now()).total_seconds()
    await env.start()
    try:
        yield env
    finally:
        await env.shutdown()
        raise_unexpected_errors(env)


@pytest.fixture
async def sim(
    simcord_env: simcord.Env, bot_settings: Settings, started_bots: list[Paperboy]
) -> AsyncIterator[Sim]:
    """paperboy running in SimCord; at the end, every interaction must have been answered."""
    sim = Sim(simcord_env, bot_settings, started_bots)
    yield sim
    raise_unexpected_errors(simcord_env)
    assert_all_answered(simcord_env)


# -- reliability report (tests/reliability.py) ------------------------------------------


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    from tests import reliability

    if report.when == "call" or report.failed:
        reliability.mark_finished(report.nodeid, report.outcome)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests import reliability

    reliability.write_report()
