"""The demo world: the real bot in SimCord, in a server set up through its own commands.

`open_world` starts `create_bot(Settings(...))` (the same cogs, loop and database code
as `paperboy run`) in a SimCord `Env` over a temporary database and a temporary copy of
seeds/, then builds:

- the server "ML Reading Group" with #papers and #general, and three members: `you`
  (role Admins, with Manage Server, so `/setup` and `/post` work), `grace` and `ada`;
- `/setup channel:#papers` run by you, and `/subscribe` run by each member (yours,
  "human feedback", matches the sample day, so its alert mentions you);
- SimCord's browser preview of #papers (channel layout: history, composer, slash
  commands) for those three viewers.

The bot's loop runs on SimCord's virtual clock, which moves only when the demo calls
`env.advance_time`. `tick` keeps that clock in step with the real one, so the loop
passes every POLL_SECONDS and buttons expire after 10 real minutes, as on Discord.
SimCord runs one operation at a time (a page action, an advance, a refresh); `gate`
makes the demo's operations and the pages' actions take turns instead of failing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import discord
import simcord
from simcord import ChannelHandle, MemberActor
from simcord.preview import Preview

from bot.client import Paperboy, create_bot
from bot.config import PROJECT_SEEDS, Settings

log = logging.getLogger("paperboy.demo")

#: A Hub day (JSON digest) made from the seeds' text with invented metadata.
SAMPLE_DAY = Path(__file__).resolve().with_name("sample-day.json")
#: The morning after the sample day (2026-03-16), when the Hub's day is fetched: after
#: every seed day and the sample day, so none of them is in the future.
CLOCK_START = dt.datetime(2026, 3, 17, 2, 0, tzinfo=dt.UTC)
#: Seconds between the loop's passes (virtual, which the demo keeps at real pace).
POLL_SECONDS = 10.0
SERVER_NAME = "ML Reading Group"
BOT_NAME = "paperboy"  # SimCord calls its bot user "TestBot"
#: What a member types to switch the page: the preview shows one channel at a time.
OPEN_THREAD = "thread"
BACK = "back"

T = TypeVar("T")


@dataclass(frozen=True)
class Person:
    """A member of the demo server and the keyword they follow."""

    name: str
    display_name: str
    keyword: str
    admin: bool = False


YOU = Person("you", "You", "human feedback", admin=True)
OTHERS = (
    Person("grace", "Grace", "text-to-image"),
    Person("ada", "Ada", "in-context learning"),
)


async def retrying(operation: Callable[[], Awaitable[T]], pause: float = 0.05) -> T:
    """Run a SimCord operation, waiting out one already running (a page action, a
    capture): SimCord refuses an overlapping one with "operation overlaps active ..."."""
    while True:
        try:
            return await operation()
        except simcord.SetupError as error:
            if "operation overlaps" not in str(error):
                raise
        await asyncio.sleep(pause)


class DemoWorld:
    """The running demo: the Env, the bot, the server, and the preview showing it."""

    def __init__(
        self,
        env: simcord.Env,
        bot: Paperboy,
        channel: ChannelHandle,
        you: MemberActor,
        others: list[MemberActor],
    ) -> None:
        self.env = env
        self.bot = bot
        self.channel = channel
        self.you = you
        self.others = others
        self.preview: Preview | None = None
        self.shown = channel
        self.gate = asyncio.Lock()
        self._port = 0
        self._capability: str | None = None
        self._closed: asyncio.Task[None] | None = None
        #: Real seconds (replaceable in tests); the virtual clock keeps pace with it.
        self.real_clock: Callable[[], float] = time.perf_counter
        self._paced_from = (self.real_clock(), env.now())
        self._requests_shown = len(env.http_requests)
        self._read_up_to: dict[int, int] = {}

    @property
    def viewers(self) -> list[MemberActor]:
        return [self.you, *self.others]

    @property
    def url(self) -> str:
        """The page's address (127.0.0.1, with the preview's secret as its fragment);
        it stays the same when the page switches between #papers and a thread."""
        if self.preview is None:
            raise RuntimeError("the preview is not open")
        return self.preview.url

    @property
    def digests(self) -> Path:
        return self.bot.settings.digest_dir

    @property
    def closed_by_page(self) -> bool:
        """Whether a page ended the preview session ("End preview session")."""
        return self._closed is not None and self._closed.done()

    def newest_thread(self) -> ChannelHandle | None:
        threads = self.channel.threads
        return max(threads, key=lambda thread: thread.id) if threads else None

    async def show(self, channel: ChannelHandle, port: int | None = None) -> None:
        """Show `channel` in the preview, at the same address as before (the same port
        and secret); a page open on the previous channel says to reload."""
        async with self.gate:
            await self._close_preview()
            preview = self.env.preview(
                channel,
                viewers=self.viewers,
                layout="channel",
                port=port or self._port or None,
            )
            if self._capability is not None:
                preview.capability = self._capability
            await preview.__aenter__()
            _gate_actions(preview, self.gate)
            self.preview, self.shown = preview, channel
            self._capability = preview.capability
            self._port = urlsplit(preview.url).port or 0
            self._closed = asyncio.ensure_future(preview.wait_closed())
            self._read_up_to[channel.id] = max((m.id for m in channel.history()), default=0)

    async def close(self) -> None:
        async with self.gate:
            await self._close_preview()

    async def _close_preview(self) -> None:
        if self._closed is not None:
            self._closed.cancel()
            self._closed = None
        if self.preview is not None:
            await self.preview.close()
            self.preview = None

    async def release_sample_day(self) -> None:
        """The sample day lands in the digest folder as a scraper writes a day (whole,
        under its final name at once), and the clock moves one poll interval: the loop's
        pass loads it, posts it in #papers with its thread, and sends the alerts."""
        staging = self.digests / f".{SAMPLE_DAY.name}.part"  # dot files are never read
        shutil.copy2(SAMPLE_DAY, staging)
        staging.replace(self.digests / SAMPLE_DAY.name)
        async with self.gate:
            await retrying(lambda: self.env.advance_time(self.bot.settings.poll_seconds))
            await self._refresh()

    async def tick(self) -> None:
        """One beat: the virtual clock catches up with the real one (running the loop's
        passes that fall due), a member's `thread` / `back` switches the page, and the
        pages show what the bot posted meanwhile."""
        started, virtual_start = self._paced_from
        due = virtual_start + dt.timedelta(seconds=self.real_clock() - started)
        async with self.gate:
            lag = (due - self.env.now()).total_seconds()
            if lag > 0:
                await retrying(lambda: self.env.advance_time(lag))
            target = await self._requested_channel()
            if target is None and len(self.env.http_requests) != self._requests_shown:
                await self._refresh()
        if target is not None:
            await self.show(target)

    async def run(
        self, stop: asyncio.Event, *, release_after: float = 3.0, every: float = 1.0
    ) -> None:
        """Until `stop` is set or a page ends the session: the sample day arrives after
        `release_after` real seconds, and the world ticks every `every` seconds."""
        release_at = time.perf_counter() + release_after
        released = False
        while not stop.is_set() and not self.closed_by_page:
            try:
                if not released and time.perf_counter() >= release_at:
                    released = True
                    await self.release_sample_day()
                await self.tick()
            except TimeoutError:  # SimCord's settle timeout: the bot was busy; go on
                log.warning("the bot did not settle in time; the demo goes on")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)

    async def _refresh(self) -> None:
        self._requests_shown = len(self.env.http_requests)
        if self.preview is None:
            return
        try:
            await retrying(self.preview.refresh)
        except simcord.SetupError as error:
            if "not active" not in str(error):  # a page just ended the session
                raise

    async def _requested_channel(self) -> ChannelHandle | None:
        """The channel a member asked for by typing `thread` in #papers (the newest day's
        thread) or `back` in a thread (#papers); their message is removed."""
        shown = self.shown
        viewers = {viewer.id: viewer for viewer in self.viewers}
        for message in shown.history():
            if message.id <= self._read_up_to.get(shown.id, 0):
                continue
            self._read_up_to[shown.id] = message.id
            viewer = viewers.get(message.author.id)
            if viewer is None or message.type != discord.MessageType.default:
                continue
            word = message.content.strip().lower()
            in_channel = shown.id == self.channel.id
            if in_channel and word == OPEN_THREAD:
                target = self.newest_thread()
            elif not in_channel and word == BACK:
                target = self.channel
            else:
                continue
            if target is not None:
                await retrying(functools.partial(viewer.delete, message))
                return target
        return None


def _gate_actions(preview: Preview, gate: asyncio.Lock) -> None:
    """Make a page's actions wait while the demo moves the clock, instead of failing.

    An action arriving during `advance_time` is refused ("context-unavailable") and the
    page then waits for its outcome until reloaded. Holding `gate` around each page
    action and around the demo's own operations makes them take turns.
    `Preview._action` is where SimCord 3.2 runs page actions; a SimCord without it
    keeps the demo's side safe all the same (`retrying`).
    """
    action: Callable[..., Awaitable[Any]] | None = getattr(preview, "_action", None)
    if action is None:
        return

    async def gated(*args: Any, **kwargs: Any) -> Any:
        async with gate:
            return await action(*args, **kwargs)

    preview._action = gated  # type: ignore[method-assign]


@contextlib.asynccontextmanager
async def open_world(*, port: int = 0, check_errors: bool = False) -> AsyncIterator[DemoWorld]:
    """The demo world, its preview open on #papers (`port` 0: any free port); on exit
    everything is shut down and the temporary folder removed."""
    root = Path(tempfile.mkdtemp(prefix="paperboy-demo-"))
    try:
        digests = root / "digests"
        shutil.copytree(PROJECT_SEEDS, digests)
        settings = Settings(
            database=root / "paperboy.db", digest_dir=digests, poll_seconds=POLL_SECONDS
        )
        bot = create_bot(settings)
        env = simcord.Env(bot, check_errors=check_errors)
        env.backend.bot_user.name = BOT_NAME  # before the bot logs in, so READY carries it
        env.backend.clock.elapsed = (CLOCK_START - env.now()).total_seconds()
        await env.start()
        world: DemoWorld | None = None
        try:
            world = await _populate(env, bot)
            await world.show(world.channel, port=port)
            yield world
        finally:
            if world is not None:
                await world.close()
            await env.shutdown()
            if bot.started:
                await bot.database.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


async def _populate(env: simcord.Env, bot: Paperboy) -> DemoWorld:
    """The server, its members, and what they set up, through the bot's own commands."""
    guild = env.create_guild(SERVER_NAME)
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))

    def join(person: Person) -> MemberActor:
        user = env.create_user(person.name, global_name=person.display_name)
        return guild.add_member(user, roles=[admins] if person.admin else [])

    you, others = join(YOU), [join(person) for person in OTHERS]
    channel = guild.create_text_channel("papers", topic="Hugging Face Daily Papers, every day")
    guild.create_text_channel("general")
    await _answered(you.slash(channel, "setup", channel=channel), "/setup")
    for member, person in zip([you, *others], [YOU, *OTHERS], strict=True):
        await _answered(member.slash(channel, "subscribe", keyword=person.keyword), "/subscribe")
    return DemoWorld(env, bot, channel, you, others)


async def _answered(
    running: Awaitable[simcord.InteractionResult], command: str
) -> simcord.InteractionResult:
    result = await running
    if not result.acknowledged or result.response is None:
        raise RuntimeError(f"the bot did not answer {command} while the demo was built")
    return result
