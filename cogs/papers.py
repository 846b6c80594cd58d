"""/search, /paper, /random and /digest: reading the archive, in servers and DMs."""

from __future__ import annotations

import math

import discord
from discord import app_commands
from discord.ext import commands

from bot import cards, lists, render, text, wording
from bot.client import Paperboy
from bot.dates import NO_DIGESTS, resolve_day
from bot.errors import UserError
from bot.models import Paper
from bot.search import MAX_QUERY_CHARS, Catalog, query_text
from cogs.browse import Browser, Page
from cogs.common import DayText, QueryText, day_choices
from cogs.views import RerollView, add_link_buttons


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
        if not self.catalog.paper_total:
            raise UserError(NO_DIGESTS)
        results = await self.catalog.search(query, limit=lists.SEARCH_PAGE)
        if not results.ids:
            note = lists.query_note(None, results.unknown)
            raise UserError(wording.no_match(render.safe_clip(query, 100), note))
        pages = math.ceil(results.total / lists.SEARCH_PAGE)
        searched = text.rewrite(query, results.readable_corrections, results.unknown)
        corrected = searched if results.readable_corrections else None
        note = lists.query_note(corrected, results.unknown)
        title = lists.search_title(results.total, searched)

        async def draw(page: int) -> Page:
            start = (page - 1) * lists.SEARCH_PAGE
            if page == 1:
                papers = results.papers
            else:
                papers = await self.catalog.papers(results.ids[start : start + lists.SEARCH_PAGE])
            embed = lists.search_page(
                title,
                papers,
                first_rank=start + 1,
                page=page,
                pages=pages,
                terms=results.terms,
                note=note,
            )
            return Page(embed, papers, start + 1)

        await Browser.reply(interaction, pages, draw, jumps=True)

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
        await interaction.response.send_message(embed=cards.paper_embed(found), view=view)

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
            raise UserError(wording.no_topic(render.safe_clip(topic, 100)) if topic else NO_DIGESTS)
        view = RerollView(interaction.user.id, paper, roll)
        await interaction.response.send_message(
            lists.random_heading(topic), embed=cards.paper_embed(paper), view=view
        )
        view.message = await interaction.original_response()

    @app_commands.command(name="digest", description="One day's papers (default: the latest)")
    @app_commands.describe(date="A day such as 'Mar 14' or 2026-03-14 (optional)")
    async def digest(self, interaction: discord.Interaction, date: DayText | None = None) -> None:
        known = [summary.day for summary in await self.catalog.known_days()]
        day = resolve_day(date, known)
        papers = await self.catalog.day(day)
        pages = max(math.ceil(len(papers) / lists.DIGEST_PAGE), 1)

        async def draw(page: int) -> Page:
            start = (page - 1) * lists.DIGEST_PAGE
            shown = papers[start : start + lists.DIGEST_PAGE]
            embed = lists.digest_page(
                day, shown, total=len(papers), first_rank=start + 1, page=page, pages=pages
            )
            return Page(embed, shown, start + 1)

        await Browser.reply(interaction, pages, draw, jumps=True)

    @digest.autocomplete("date")
    async def digest_date_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await day_choices(self.catalog, current)


async def setup(bot: Paperboy) -> None:
    await bot.add_cog(Papers(bot))
