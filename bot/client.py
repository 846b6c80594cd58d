"""The paperboy bot: wires settings, storage, the catalog and the cogs together."""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import logging
import sqlite3
from dataclasses import dataclass

import discord
from discord import app_commands
from discord.ext import commands

from bot.alerts import Alerts
from bot.config import Settings
from bot.errors import UserError
from bot.hub import HubClient
from bot.hub_source import FetchSummary, HubSource
from bot.ingest import FileReport, ingest_settled, ingest_startup
from bot.publisher import Publisher
from bot.search import Catalog
from bot.sending import Channels
from bot.storage import Database
from bot.watcher import FolderWatcher

log = logging.getLogger(__name__)

#: Loaded in this order; one that fails is logged and the others still load.
EXTENSIONS: tuple[str, ...] = (
    "cogs.papers",
    "cogs.poller",
    "cogs.subscriptions",
    "cogs.alerts",
    "cogs.admin",
)

APOLOGY = "Sorry, something went wrong on my side. It has been logged; please try again later."
BUSY = "The paper archive is busy right now; please try again in a few seconds."


class PaperboyTree(app_commands.CommandTree):
    """The command tree with one error handler for every slash command."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        original = getattr(error, "original", error)
        if isinstance(original, UserError):
            message = original.message
        elif isinstance(error, app_commands.MissingPermissions):
            message = "You need the **Manage Server** permission to use this command."
        elif isinstance(original, sqlite3.OperationalError) and "locked" in str(original):
            log.warning("database busy during /%s", _command_name(interaction))
            message = BUSY
        else:
            log.error(
                "unexpected error in /%s",
                _command_name(interaction),
                exc_info=(type(original), original, original.__traceback__),
            )
            message = APOLOGY
        await reply_ephemeral(interaction, message)


async def reply_ephemeral(interaction: discord.Interaction, message: str) -> None:
    """Answer privately, whether or not the interaction was already answered."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not send an error reply for /%s", _command_name(interaction))


def _command_name(interaction: discord.Interaction) -> str:
    return interaction.command.qualified_name if interaction.command else "?"


class Paperboy(commands.Bot):
    """A discord.py bot holding paperboy's resources; `create_bot` builds one."""

    def __init__(self, settings: Settings) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # channel and thread cache; nothing privileged
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            tree_cls=PaperboyTree,
        )
        self.settings = settings
        self.watcher = FolderWatcher(settings.digest_dir)
        self.failed_extensions: dict[str, str] = {}
        self.ingest_problem: IngestProblem | None = None  # for /setup, while it lasts
        self._services: _Services | None = None
        self.hub_source: HubSource | None = None  # built in setup_hook when hf_url is set

    @property
    def started(self) -> bool:
        """Whether setup_hook has opened the database (and close() has not closed it)."""
        return self._services is not None

    @property
    def database(self) -> Database:
        return self._require_services().database

    @property
    def catalog(self) -> Catalog:
        return self._require_services().catalog

    @property
    def alerts(self) -> Alerts:
        return self._require_services().alerts

    @property
    def publisher(self) -> Publisher:
        return self._require_services().publisher

    def _require_services(self) -> _Services:
        if self._services is None:
            raise RuntimeError("the database opens in setup_hook")
        return self._services

    async def setup_hook(self) -> None:
        database = await Database.open(self.settings.database, self.settings.db_busy_timeout_ms)
        catalog = await Catalog.load(database)
        alerts = Alerts(database)
        publisher = Publisher(database, catalog, alerts, Channels(self), self.settings.poll_seconds)
        self._services = _Services(database, catalog, alerts, publisher)
        settings = self.settings
        if settings.hf_url is not None:
            settings.digest_dir.mkdir(parents=True, exist_ok=True)
            client = HubClient(settings.hf_url, timeout=settings.hf_timeout_seconds)
            self.hub_source = HubSource(
                client,
                settings.digest_dir,
                settle_minutes=settings.hf_settle_minutes,
                lookback_days=settings.hf_lookback_days,
            )
        await self.ingest_startup_digests()
        gc.freeze()  # the vocabulary and caches live as long as the bot: spare the GC
        for extension in EXTENSIONS:
            try:
                await self.load_extension(extension)
            except Exception as error:
                self.failed_extensions[extension] = repr(error)
                log.exception("could not load extension %s", extension)
        await self.sync_commands()

    async def ingest_startup_digests(self) -> None:
        folder = self.settings.digest_dir
        if not folder.is_dir():
            log.warning("digest folder %s does not exist; no digests loaded", folder)
            return
        # What is settled now loads now; the loop takes what is still being written.
        try:
            await ingest_startup(self.catalog, self.watcher, discord.utils.utcnow().date())
        except OSError as error:
            reason = describe_ingest_error(error)
            log.error("cannot load the digest folder %s: %s; check its permissions", folder, reason)
            self.ingest_problem = IngestProblem(reason, discord.utils.utcnow())
        await self.catalog.tidy()  # nothing waits on it yet

    async def run_pass(self) -> None:
        """The loop's pass: fetch due Hub days, ingest settled digest files, publish due
        posts, tidy up.

        Each step fails on its own: a Hub fault, a folder that cannot be read or a file
        that cannot be stored never stops posting, and a posting fault never stops the
        upkeep.
        """
        await self.fetch_days()
        grown = await self._ingest_step()
        try:
            await self.publisher.days_grew(grown)
            await self.publisher.publish_due()
        except Exception:
            log.exception("posting pass failed; trying again next pass")
        try:
            await self.catalog.tidy()  # after posting, so that no post waits for it
        except Exception:
            log.exception("index upkeep failed; trying again next pass")

    async def _ingest_step(self) -> list[dt.date]:
        """Ingest settled files; returns the days they added papers to."""
        try:
            reports = await ingest_settled(
                self.catalog, self.watcher, discord.utils.utcnow().date()
            )
        except Exception as error:
            if self.ingest_problem is None:
                self.ingest_problem = IngestProblem(
                    describe_ingest_error(error), discord.utils.utcnow()
                )
            log.exception("loading new digest files failed; trying again next pass")
            return []
        self.ingest_problem = None
        return grown_days(reports)

    async def fetch_days(self) -> FetchSummary | None:
        """The pass's first step: write the Hub days due into the digest folder, for the
        ingest step to load. Never raises: a fault is logged and kept for /setup."""
        if self.hub_source is None:
            return None
        try:
            return await self.hub_source.run_once(discord.utils.utcnow())
        except Exception:  # run_once keeps its own faults; this is a bug's last stop
            log.exception("fetching from the Hub failed; ingesting and posting go on")
            return None

    async def sync_commands(self) -> bool:
        """Sync the command tree when its definitions changed since the last sync."""
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        key = f"command_tree:{self.application_id}:{guild.id if guild else 'global'}"
        if await self.database.get_meta(key) == digest:
            log.info("command tree unchanged; not syncing")
            return False
        await self.tree.sync(guild=guild)
        await self.database.set_meta(key, digest)
        log.info("synced %d commands %s", len(payload), f"to {guild.id}" if guild else "globally")
        return True

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            if self.hub_source is not None:
                await self.hub_source.client.close()
            if self._services is not None:
                await self._services.database.close()
                self._services = None


@dataclass(frozen=True)
class _Services:
    """What setup_hook opens: the database and everything built on it."""

    database: Database
    catalog: Catalog
    alerts: Alerts
    publisher: Publisher


@dataclass(frozen=True)
class IngestProblem:
    """Why loading new digest files fails, and since when."""

    error: str
    since: dt.datetime


def describe_ingest_error(error: Exception) -> str:
    """A short reason for `/setup`: what failed, never a traceback."""
    if isinstance(error, OSError):
        where = f" ({error.filename})" if error.filename else ""
        return f"{error.strerror or type(error).__name__}{where}"
    if isinstance(error, sqlite3.Error):
        return f"the database refused a write ({error})"
    return type(error).__name__


def grown_days(reports: list[FileReport]) -> list[dt.date]:
    """Days that files just ingested added papers to (a new day, or a longer version)."""
    return sorted(
        {
            report.outcome.day
            for report in reports
            if report.outcome and report.outcome.day and report.outcome.added_to_day
        }
    )


def create_bot(settings: Settings) -> Paperboy:
    """A configured, unconnected bot: the seam for `paperboy run` and every test."""
    return Paperboy(settings)
