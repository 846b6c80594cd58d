"""Buttons shared by the cogs: a pager, paper link buttons, and a reroll."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord

from bot import render
from bot.models import Paper

log = logging.getLogger(__name__)

VIEW_TIMEOUT = 600.0
EXPIRED = "Buttons expired; run the command again."


class OwnedView(discord.ui.View):
    """Buttons only the member who ran the command may press; disabled on timeout."""

    def __init__(self, owner_id: int, timeout: float = VIEW_TIMEOUT) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.message: discord.Message | discord.InteractionMessage | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            "These buttons belong to whoever ran the command; run it yourself to get your own.",
            ephemeral=True,
        )
        return False

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button) and item.style != discord.ButtonStyle.link:
                item.disabled = True
        if self.message is None:
            return
        try:
            embeds = self.message.embeds
            if embeds:
                footer = embeds[-1].footer.text or ""
                embeds[-1].set_footer(text=render.clip(f"{footer} · {EXPIRED}", 2048))
            await self.message.edit(embeds=embeds, view=self)
        except discord.HTTPException:
            log.debug("could not mark buttons expired", exc_info=True)


def add_link_buttons(view: discord.ui.View, paper: Paper) -> None:
    for link in render.paper_links(paper):
        view.add_item(discord.ui.Button(label=link.label, url=link.url))


class Pager(OwnedView):
    """Previous / Next through `pages` pages drawn by `draw(page)` (1-based)."""

    def __init__(
        self,
        owner_id: int,
        pages: int,
        draw: Callable[[int], Awaitable[discord.Embed]],
        timeout: float = VIEW_TIMEOUT,
    ) -> None:
        super().__init__(owner_id, timeout)
        self.page = 1
        self.pages = pages
        self.draw = draw
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.previous.disabled = self.page <= 1
        self.next.disabled = self.page >= self.pages

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.page = min(max(self.page + step, 1), self.pages)
        self._update_buttons()
        await interaction.response.edit_message(embed=await self.draw(self.page), view=self)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary, emoji="◀")
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button[Pager]) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary, emoji="▶")
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button[Pager]) -> None:
        await self._turn(interaction, +1)


class RerollView(OwnedView):
    """ "Another" draws a new paper with the same request; link buttons follow the paper."""

    def __init__(
        self,
        owner_id: int,
        paper: Paper,
        roll: Callable[[], Awaitable[Paper | None]],
        timeout: float = VIEW_TIMEOUT,
    ) -> None:
        super().__init__(owner_id, timeout)
        self.roll = roll
        add_link_buttons(self, paper)

    @discord.ui.button(label="Another", style=discord.ButtonStyle.primary, emoji="🎲", row=1)
    async def another(
        self, interaction: discord.Interaction, _: discord.ui.Button[RerollView]
    ) -> None:
        paper = await self.roll()
        if paper is None:
            await interaction.response.send_message("No more papers on that topic.", ephemeral=True)
            return
        for item in [child for child in self.children if child is not self.another]:
            self.remove_item(item)
        add_link_buttons(self, paper)
        await interaction.response.edit_message(embed=render.paper_embed(paper), view=self)
