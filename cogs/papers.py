"""/search, /paper, /random and /digest: reading the archive, in servers and DMs."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.client import Paperboy
from bot.dates import format_day, resolve_day
from bot.errors import UserError
from bot.models import Paper
from bot.search import MAX_QUERY_CHARS, Catalog, query_text
from cogs.common import DayText, QueryText, day_choices
from cogs.views import Pager, RerollView, add_link_buttons

PAGE_SIZE = 5


class Papers(commands.Cog):
    """Search and browse the papers."""

    def __init__(self, bot: Paperboy) -> None:
        self.bot = bot

    @property
    def catalog(self) -> Catalog:
        return self.bot.catalog

    @app_commands.command(name="search", description="Search paper titles and abstracts")
    @app_commands.describe(query="Words to look for; typos are forgiven")
    async def search(self, interaction: discord.Interaction, query: QueryText) -> None:
        query = query_text(query, "search")
        results = await self.catalog.search(query, limit=PAGE_SIZE)
        if not results.ids:
            unknown = render.query_note({}, results.unknown)
            raise UserError(
                f"No papers match “{render.safe_clip(query, 100)}”. "
                + (f"{unknown}. " if unknown else "")
                + "Try fewer words, a synonym, or `/random` for inspiration."
            )
        pages = math.ceil(results.total / PAGE_SIZE)
        note = render.query_note(results.readable_corrections, results.unknown)
        title = f"🔎 {results.total} results for “{render.safe_clip(query, 150)}”"

        async def draw(page: int) -> discord.Embed:
            start = (page - 1) * PAGE_SIZE
            if page == 1:
                papers = results.papers
            else:
                papers = await self.catalog.papers(results.ids[start : start + PAGE_SIZE])
            return render.list_page(
                title,
                papers,
                first_rank=start + 1,
                page=page,
                pages=pages,
                terms=results.terms,
                note=note,
            )

        await _send_paged(interaction, pages, draw)

    @app_commands.command(name="paper", description="Show one paper in full")
    @app_commands.describe(
        title="The paper's title (start typing to pick one), an arXiv id or a paper link"
    )
    async def paper(self, interaction: discord.Interaction, title: QueryText) -> None:
        title = query_text(title, "title")
        found = await self.catalog.find_paper(title)
        if found is None:
            raise UserError(
                f"No paper matches “{render.safe_clip(title, 100)}”. "
                "Pick one from the suggestions, or use `/search`."
            )
        view = discord.ui.View(timeout=None)
        add_link_buttons(view, found)
        await interaction.response.send_message(embed=render.paper_embed(found), view=view)

    @paper.autocomplete("title")
    async def paper_title_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        matches = await self.catalog.titles_like(current[:MAX_QUERY_CHARS])
        return [
            app_commands.Choice(name=render.choice_name(title), value=title[: render.CHOICE_LIMIT])
            for _id, title in matches[:25]
        ]

    @app_commands.command(name="random", description="A random paper, optionally on a topic")
    @app_commands.describe(topic="Only papers about this (optional)")
    async def random(
        self, interaction: discord.Interaction, topic: QueryText | None = None
    ) -> None:
        if topic is not None:
            topic = query_text(topic, "topic")

        async def roll() -> Paper | None:
            return await self.catalog.random_paper(topic)

        paper = await roll()
        if paper is None:
            if topic:
                raise UserError(
                    f"No paper is about “{render.safe_clip(topic, 100)}”. Try a broader topic."
                )
            raise UserError("The archive is empty; no digests are loaded yet.")
        view = RerollView(interaction.user.id, paper, roll)
        await interaction.response.send_message(embed=render.paper_embed(paper), view=view)
        view.message = await interaction.original_response()

    @app_commands.command(name="digest", description="One day's papers (default: the latest)")
    @app_commands.describe(date="A day such as 'Mar 14' or 2026-03-14 (optional)")
    async def digest(self, interaction: discord.Interaction, date: DayText | None = None) -> None:
        known = [summary.day for summary in await self.catalog.known_days()]
        day = resolve_day(date, known)
        papers = await self.catalog.day(day)
        pages = math.ceil(len(papers) / PAGE_SIZE)
        title = f"📰 Daily Papers — {format_day(day)} · {len(papers)} papers"

        async def draw(page: int) -> discord.Embed:
            start = (page - 1) * PAGE_SIZE
            return render.list_page(
                title,
                papers[start : start + PAGE_SIZE],
                first_rank=start + 1,
                page=page,
                pages=pages,
            )

        await _send_paged(interaction, pages, draw)

    @digest.autocomplete("date")
    async def digest_date_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await day_choices(self.catalog, current)


async def _send_paged(
    interaction: discord.Interaction,
    pages: int,
    draw: Callable[[int], Awaitable[discord.Embed]],
) -> None:
    first = await draw(1)
    if pages <= 1:
        await interaction.response.send_message(embed=first)
        return
    view = Pager(interaction.user.id, pages, draw)
    await interaction.response.send_message(embed=first, view=view)
    view.message = await interaction.original_response()


async def setup(bot: Paperboy) -> None:
    await bot.add_cog(Papers(bot))
