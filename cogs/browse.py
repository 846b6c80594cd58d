"""Browsing a list of papers privately: pages, opening a paper, sharing what is shown.

`/search` and `/digest` answer with a `Browser`: only the member who ran the command
sees it (in a server; in a DM, where nobody else would see it anyway, it is an
ordinary message with nothing to share). A menu opens any paper of the page as a full
card, **Back** returns to the page, and **Share in channel** posts what is shown (the
page or the paper) for everyone, naming who shared it without pinging them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import discord

from bot import cards, lists
from bot.models import Paper
from cogs.views import OwnedView, add_link_buttons

NAVIGATION_ROW = 1


@dataclass(frozen=True)
class Page:
    """One drawn page: its embed, and the papers on it from rank `first_rank`."""

    embed: discord.Embed
    papers: Sequence[Paper]
    first_rank: int


Draw = Callable[[int], Awaitable[Page]]


class Browser(OwnedView):
    """A paged list of papers (drawn by `draw(page)`, 1-based) whose papers open as
    full cards, with First / Last when `jumps`, and a share button when `shareable`."""

    def __init__(
        self, owner_id: int, pages: int, draw: Draw, *, shareable: bool, jumps: bool
    ) -> None:
        super().__init__(owner_id)
        self.pages = pages
        self.draw = draw
        self.shareable = shareable
        self.jumps = jumps and pages > 2
        self.page = 1
        self.current: Page | None = None
        self.opened: Paper | None = None
        self.shared = False  # what is shown now has been shared

    @classmethod
    async def reply(
        cls, interaction: discord.Interaction, pages: int, draw: Draw, *, jumps: bool = False
    ) -> None:
        """Answer `interaction` with the first page: privately in a server, with a share
        button; as an ordinary message in a DM."""
        in_server = interaction.guild_id is not None
        view = cls(interaction.user.id, pages, draw, shareable=in_server, jumps=jumps)
        page = await view._load(1)
        await interaction.response.send_message(embed=page.embed, view=view, ephemeral=in_server)
        view.message = await interaction.original_response()

    async def _load(self, number: int) -> Page:
        self.page = min(max(number, 1), self.pages)
        self.current = await self.draw(self.page)
        self.opened = None
        self.shared = False
        self._arrange()
        return self.current

    def shown_embeds(self) -> list[discord.Embed]:
        return [self._shown()]

    def _shown(self) -> discord.Embed:
        if self.opened is not None:
            return cards.paper_embed(self.opened)
        assert self.current is not None
        return self.current.embed

    def _arrange(self) -> None:
        """The components for what is shown: the page's menu and page buttons, or the
        opened paper's links and Back; Share on either."""
        self.clear_items()
        if self.opened is not None:
            add_link_buttons(self, self.opened)
            self._button("Back to the list", "↩", self._back)
        else:
            assert self.current is not None
            options = lists.open_options(self.current.papers, self.current.first_rank)
            if options:
                self.add_item(OpenMenu(options))
            if self.pages > 1:
                first, last = self.page <= 1, self.page >= self.pages
                if self.jumps:
                    self._button("First", "⏮", self._first, disabled=first)
                self._button("Previous", "◀", self._previous, disabled=first)
                self._button("Next", "▶", self._next, disabled=last)
                if self.jumps:
                    self._button("Last", "⏭", self._last, disabled=last)
        if self.shareable:
            label = "Shared" if self.shared else "Share in channel"
            self._button(label, "📤", self._share, disabled=self.shared)

    def _button(
        self,
        label: str,
        emoji: str,
        action: Callable[[discord.Interaction], Awaitable[None]],
        *,
        disabled: bool = False,
    ) -> None:
        self.add_item(ActionButton(label, emoji, action, disabled=disabled))

    async def _show(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(embed=self._shown(), view=self)

    async def _turn(self, interaction: discord.Interaction, number: int) -> None:
        await self._load(number)
        await self._show(interaction)

    async def _first(self, interaction: discord.Interaction) -> None:
        await self._turn(interaction, 1)

    async def _previous(self, interaction: discord.Interaction) -> None:
        await self._turn(interaction, self.page - 1)

    async def _next(self, interaction: discord.Interaction) -> None:
        await self._turn(interaction, self.page + 1)

    async def _last(self, interaction: discord.Interaction) -> None:
        await self._turn(interaction, self.pages)

    async def open(self, interaction: discord.Interaction, paper_id: str) -> None:
        assert self.current is not None
        found = [paper for paper in self.current.papers if str(paper.id) == paper_id]
        if not found:  # a menu of an earlier page, answered late
            await interaction.response.send_message(
                "That paper is not on this page any more; pick it again.", ephemeral=True
            )
            return
        self.opened, self.shared = found[0], False
        self._arrange()
        await self._show(interaction)

    async def _back(self, interaction: discord.Interaction) -> None:
        self.opened, self.shared = None, False
        self._arrange()
        await self._show(interaction)

    async def _share(self, interaction: discord.Interaction) -> None:
        """Post what is shown for everyone, as the answer to this click, naming the
        member who shared it; the mention pings nobody."""
        links = discord.ui.View(timeout=None)
        if self.opened is not None:
            add_link_buttons(links, self.opened)
        await interaction.response.send_message(
            lists.shared_by(interaction.user.id),
            embed=self._shown(),
            view=links,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.shared = True
        self._arrange()
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):  # else it keeps its Share button
                await self.message.edit(view=self)


class ActionButton(discord.ui.Button[Browser]):
    def __init__(
        self,
        label: str,
        emoji: str,
        action: Callable[[discord.Interaction], Awaitable[None]],
        *,
        disabled: bool,
    ) -> None:
        super().__init__(
            label=label,
            emoji=emoji,
            style=discord.ButtonStyle.secondary,
            disabled=disabled,
            row=NAVIGATION_ROW,
        )
        self.action = action

    async def callback(self, interaction: discord.Interaction) -> None:
        await self.action(interaction)


class OpenMenu(discord.ui.Select[Browser]):
    """The page's papers; picking one opens it as a full card."""

    def __init__(self, options: list[discord.SelectOption]) -> None:
        super().__init__(placeholder="Open a paper…", options=options, row=0)

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.open(interaction, self.values[0])
