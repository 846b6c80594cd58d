"""/search, /paper, /random and /digest: reading the archive, in servers and DMs."""

from __future__ import annotations

import math

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.client import Paperboy
from bot.dates import nearest_days, parse_day_option
from bot.errors import UserError
from bot.models import Paper
from bot.search import readable_corrections
from cogs.common import day_choices, user_errors
from cogs.views import Pager, RerollView, add_link_buttons

PAGE_SIZE = 5
MAX_QUERY_CHARS = 300


def _query_text(raw: str, what: str) -> str:
    query = " ".join(raw.split())
    if not query:
        raise UserError(f"Type a few words for the {what}, e.g. `diffusion models`.")
    if len(query) > MAX_QUERY_CHARS:
        raise UserError(
            f"That {what} is {len(query):,} characters long; "
            f"keep it under {MAX_QUERY_CHARS} characters."
        )
    return query


class Papers(commands.Cog):
    """Search and browse the papers."""

    def __init__(self, bot: Paperboy) -> None:
        self.bot = bot

    @property
    def catalog(self):
        return self.bot.catalog

    @app_commands.command(name="search", description="Search paper titles and abstracts")
    @app_commands.describe(query="Words to look for; typos are forgiven")
    async def search(self, interaction: discord.Interaction, query: str) -> None:
        async with user_errors(interaction):
            query = _query_text(query, "search")
            plan = self.catalog.plan(query)
            ranked = await self.catalog.rank(query, plan)
            if not ranked:
                unknown = render.query_note({}, plan.unknown)
                raise UserError(
                    f"No papers match “{render.safe_clip(query, 100)}”. "
                    + (f"{unknown}. " if unknown else "")
                    + "Try fewer words, a synonym, or `/random` for inspiration."
                )
            pages = math.ceil(len(ranked) / PAGE_SIZE)
            first_page = await self.catalog.papers(ranked[:PAGE_SIZE])
            corrections = readable_corrections(plan, first_page)
            note = render.query_note(corrections, plan.unknown)
            title = f"🔎 {len(ranked)} results for “{render.safe_clip(query, 150)}”"

            async def draw(page: int) -> discord.Embed:
                start = (page - 1) * PAGE_SIZE
                if page == 1:
                    papers = first_page
                else:
                    papers = await self.catalog.papers(ranked[start : start + PAGE_SIZE])
                return render.list_page(
                    title,
                    papers,
                    first_rank=start + 1,
                    page=page,
                    pages=pages,
                    terms=plan.terms,
                    note=note,
                )

            await self._send_paged(interaction, pages, draw)

    @app_commands.command(name="paper", description="Show one paper in full")
    @app_commands.describe(title="The paper's title (start typing to pick one)")
    async def paper(self, interaction: discord.Interaction, title: str) -> None:
        async with user_errors(interaction):
            title = _query_text(title, "title")
            found = await self.catalog.find_paper(title)
            if found is None:
                raise UserError(
                    f"No paper matches “{render.safe_clip(title, 100)}”. "
                    "Pick one from the suggestions, or use `/search`."
                )
            await self._send_paper(interaction, found)

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
    async def random(self, interaction: discord.Interaction, topic: str | None = None) -> None:
        async with user_errors(interaction):
            if topic is not None:
                topic = _query_text(topic, "topic")

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
    async def digest(self, interaction: discord.Interaction, date: str | None = None) -> None:
        async with user_errors(interaction):
            known = [summary.day for summary in await self.catalog.known_days()]
            if not known:
                raise UserError("No digests are loaded yet.")
            day = known[0] if date is None else parse_day_option(date)
            if day is None:
                raise UserError(
                    f"“{render.safe_clip(date or '', 50)}” is not a date. "
                    "Try `Mar 14`, `March 14, 2026` or `2026-03-14`."
                )
            papers = await self.catalog.day(day)
            if not papers:
                suggestions = ", ".join(render.short_day(d) for d in nearest_days(day, known))
                raise UserError(
                    f"No digest for {render.short_day(day)}. Nearest days: {suggestions}."
                )
            pages = math.ceil(len(papers) / PAGE_SIZE)
            title = f"📰 Daily Papers — {render.format_day(day)} · {len(papers)} papers"

            async def draw(page: int) -> discord.Embed:
                start = (page - 1) * PAGE_SIZE
                return render.list_page(
                    title,
                    papers[start : start + PAGE_SIZE],
                    first_rank=start + 1,
                    page=page,
                    pages=pages,
                )

            await self._send_paged(interaction, pages, draw)

    @digest.autocomplete("date")
    async def digest_date_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await day_choices(self.catalog, current)

    async def _send_paged(self, interaction: discord.Interaction, pages: int, draw) -> None:
        first = await draw(1)
        if pages <= 1:
            await interaction.response.send_message(embed=first)
            return
        view = Pager(interaction.user.id, pages, draw)
        await interaction.response.send_message(embed=first, view=view)
        view.message = await interaction.original_response()

    async def _send_paper(self, interaction: discord.Interaction, paper: Paper) -> None:
        view = discord.ui.View(timeout=None)
        add_link_buttons(view, paper)
        await interaction.response.send_message(embed=render.paper_embed(paper), view=view)


async def setup(bot: Paperboy) -> None:
    await bot.add_cog(Papers(bot))
