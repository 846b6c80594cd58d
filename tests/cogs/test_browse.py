"""End to end through SimCord: opening a listed paper, going back, and sharing what is
shown, from /search and /digest; who may do it, and that sharing pings nobody."""

from __future__ import annotations

import pytest
import simcord

from tests.cogs.seen import (
    assert_within_limits,
    buttons,
    entries,
    hub_item,
    menu,
    option_value,
    write_hub_day,
)
from tests.simbot import pings

WIDGETS = "Ferroelectric Widgets: Scaling [Sparse] Gadgets"
ABSTRACT = (
    "We scale ferroelectric widgets to a billion gadgets. ``Sparse'' widgets are "
    "{\\scriptsize tiny} yet fast, and we release them."
)


@pytest.fixture
def digest_dir(seeds_dir):
    write_hub_day(
        seeds_dir,
        "2026-03-16",
        [
            hub_item(
                "2603.00042",
                WIDGETS,
                ABSTRACT,
                authors=("Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"),
                upvotes=1234,
                github="https://github.com/lab/widgets",
            ),
            hub_item("2603.00043", "Ferroelectric Gadgets Without Widgets", "Gadgets alone."),
        ],
    )
    return seeds_dir


async def test_titles_link_to_the_papers_themselves(world):
    result = await world.alice.slash(world.channel, "search", query="ferroelectric widgets")
    embed = result.response.embeds[0]
    first, second = entries(embed)
    assert first == (
        1,
        "Ferroelectric Widgets: Scaling \\[Sparse\\] Gadgets",
        "https://arxiv.org/abs/2603.00042",
    )
    assert second[2] == "https://arxiv.org/abs/2603.00043"
    assert "▲ 1,234" in embed.description
    assert "“Sparse”" in embed.description and "scriptsize" not in embed.description
    # Papers of text digests have no page of their own: their titles are not links.
    seeds = await world.alice.slash(world.channel, "search", query="concept bottleneck")
    assert all(url is None for _rank, _title, url in entries(seeds.response.embeds[0]))


async def test_a_result_opens_as_a_full_card_and_the_list_comes_back(world):
    result = await world.alice.slash(world.channel, "search", query="concept bottleneck")
    response = result.response
    page = [option["label"] for option in menu(response)["options"]]
    listed = [f"{rank}. {title}" for rank, title, _url in entries(response.embeds[0])]
    assert len(page) == len(listed) == 5
    for label, full in zip(page, listed, strict=True):
        # A long title is cut at a word, within the menu's 100 characters.
        assert label == full or (full.startswith(label[:-1]) and full[len(label) - 1] == " ")
        assert len(label) <= 100

    value = option_value(response, "Post-hoc Concept Bottleneck Models")
    opened = await world.alice.select(response, [value])
    assert opened.response.id == response.id  # the same private message, now the card
    card = response.embeds[0]
    assert card.title == "Post-hoc Concept Bottleneck Models" and card.url is None
    assert len(card.description) > 1000 and not card.description.endswith("…")
    assert "(“the bottleneck”)" in card.description
    assert [field.name for field in card.fields] == ["Appeared"]
    shown = buttons(response)
    assert shown["Search arXiv"]["url"].startswith("https://arxiv.org/search/")
    assert {"Back to the list", "Share in channel"} <= set(shown)
    assert menu(response) is None
    assert_within_limits(response)

    await world.alice.click(response, label="Back to the list")
    assert [f"{rank}. {title}" for rank, title, _ in entries(response.embeds[0])] == listed
    assert response.embeds[0].footer.text == "page 1 of 2"


async def test_an_opened_hub_paper_links_each_page_once(world):
    result = await world.alice.slash(world.channel, "search", query="ferroelectric widgets")
    response = result.response
    await world.alice.select(response, [option_value(response, "Ferroelectric Widgets")])
    card = response.embeds[0]
    assert card.url == "https://arxiv.org/abs/2603.00042"
    fields = {field.name: field.value for field in card.fields}
    assert fields["Authors"] == "Ada Lovelace, Alan Turing, Grace Hopper, Edsger Dijkstra"
    assert fields["Upvotes"] == "▲ 1,234"
    links = {label: item["url"] for label, item in buttons(response).items() if "url" in item}
    assert links == {
        "PDF": "https://arxiv.org/pdf/2603.00042",
        "Hugging Face": "https://huggingface.co/papers/2603.00042",
        "Code": "https://github.com/lab/widgets",
    }


async def test_sharing_a_page_posts_it_for_everyone_naming_the_sharer(world):
    result = await world.alice.slash(world.channel, "search", query="concept bottleneck")
    assert world.channel.history(viewer=world.bob) == []  # private to alice
    shared = await world.alice.click(result.response, label="Share in channel")
    assert not shared.ephemeral
    [message] = world.channel.history(viewer=world.bob)
    assert message.content == f"📤 Shared by <@{world.alice.id}>"
    assert pings(world.env, message) == ([], [], False)
    assert message.embeds[0].title == "🔎 7 results for “concept bottleneck”"
    assert message.embeds[0].description == result.response.embeds[0].description
    assert message.components == []  # nothing in it belongs to alice
    assert buttons(result.response)["Shared"]["disabled"]
    # What is shown next can be shared again.
    await world.alice.click(result.response, label="Next")
    assert not buttons(result.response)["Share in channel"]["disabled"]


async def test_sharing_an_opened_paper_posts_its_card_with_its_links(world):
    result = await world.alice.slash(world.channel, "digest", date="Mar 16")
    response = result.response
    assert response.embeds[0].title == "📰 Daily Papers — Monday, March 16, 2026 · 2 papers"
    await world.alice.select(response, [option_value(response, "Ferroelectric Widgets")])
    await world.alice.click(response, label="Share in channel")
    [message] = world.channel.history()
    assert message.content == f"📤 Shared by <@{world.alice.id}>"
    assert pings(world.env, message) == ([], [], False)
    assert message.embeds[0].url == "https://arxiv.org/abs/2603.00042"
    labels = [item.label for row in message.components for item in row.children]
    assert labels == ["PDF", "Hugging Face", "Code"]


async def test_only_the_member_who_ran_it_sees_and_uses_the_list(world):
    result = await world.alice.slash(world.channel, "digest", date="Mar 14")
    with pytest.raises(simcord.SetupError, match="not visible"):
        await world.bob.click(result.response, label="Next")
    with pytest.raises(simcord.SetupError, match="not visible"):
        await world.bob.click(result.response, label="Share in channel")
    assert world.channel.history() == []


async def test_a_day_opens_any_paper_of_the_page(world):
    result = await world.alice.slash(world.channel, "digest", date="Mar 14")
    response = result.response
    await world.alice.click(response, label="Last")
    options = menu(response)["options"]
    assert [option["label"].split(".")[0] for option in options] == [
        str(rank) for rank in range(81, 88)
    ]
    await world.alice.select(response, [options[-1]["value"]])
    assert response.embeds[0].title == options[-1]["label"].split(". ", 1)[1]
    await world.alice.click(response, label="Back to the list")
    assert response.embeds[0].footer.text == "page 9 of 9"
