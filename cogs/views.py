"""Components shared by the cogs: views only their owner may use, paper link buttons,
and a reroll."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord

from bot import cards, render
from bot.models import Paper

log = logging.getLogger(__name__)

VIEW_TIMEOUT = 600.0
EXPIRED = "Buttons expired; run the command again."


class OwnedView(discord.ui.View):
    """Buttons and menus only the member who ran the command may use; disabled on
    timeout, and the message says so."""

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

    def shown_embeds(self) -> list[discord.Embed]:
        """The embeds the message shows now (what the expiry notice is added to)."""
        return list(self.message.embeds) if self.message is not None else []

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Select) or (
                isinstance(item, discord.ui.Button) and item.style != discord.ButtonStyle.link
            ):
                item.disabled = True
        if self.message is None:
            return
        try:
            embeds = self.shown_embeds()
            if embeds:
                footer = " · ".join(filter(None, [embeds[-1].footer.text, EXPIRED]))
                embeds[-1].set_footer(text=render.clip(footer, render.FOOTER_LIMIT))
            await self.message.edit(embeds=embeds, view=self)
        except discord.HTTPException:
            log.debug("could not mark buttons expired", exc_info=True)


def add_link_buttons(view: discord.ui.View, paper: Paper) -> None:
    for link in cards.paper_links(paper):
        view.add_item(discord.ui.Button(label=link.label, url=link.url))


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
        self.paper = paper
        add_link_buttons(self, paper)

    def shown_embeds(self) -> list[discord.Embed]:
        return [cards.paper_embed(self.paper)]

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
        self.paper = paper
        add_link_buttons(self, paper)
        await interaction.response.edit_message(embed=cards.paper_embed(paper), view=self)
