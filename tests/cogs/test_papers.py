"""End to end through SimCord: /search, /paper, /random, /digest as members use them."""

from __future__ import annotations

import pytest
import simcord
from simcord.backend.errors import OptionError

from bot.client import EXTENSIONS
from tests.cogs.seen import assert_within_limits, buttons, entries, titles
from tests.simbot import write_papers

NEW_TITLE = "Ferroelectric Memories for Neural Accelerators"
HOSTILE_TITLE = "@everyone *bold* ||spoiler|| <@123> <@&456> Attack Paper"
HOSTILE_ABSTRACT = (
    "We study @here pings and <@123> mentions in abstracts. " * 8
    + "Markdown like **this** and `code` must show literally."
)


@pytest.fixture
def digest_dir(seeds_dir):
    (seeds_dir / "2026-03-15.txt").write_text(
        f"Mar 15, 2026\n\n{HOSTILE_TITLE}\n\n{HOSTILE_ABSTRACT}\n", encoding="utf-8"
    )
    return seeds_dir


async def test_search_ranks_best_first_and_pages_privately(world):
    result = await world.alice.slash(world.channel, "search", query="concept bottleneck")
    response = result.response
    assert result.ephemeral  # a search does not fill a shared channel
    embed = response.embeds[0]
    assert embed.title == "🔎 7 results for “concept bottleneck”"
    assert "Concept Bottleneck" in titles(embed)[0]
    assert [rank for rank, *_ in entries(embed)] == [1, 2, 3, 4, 5]
    assert embed.footer.text == "page 1 of 2"
    shown = buttons(response)
    assert shown["Previous"]["disabled"] and not shown["Next"]["disabled"]
    assert "First" not in shown  # two pages need no jumps
    assert "**" in embed.description.split("\n", 2)[1]  # query words in bold
    assert_within_limits(response)

    await world.alice.click(response, label="Next")
    assert response.embeds[0].footer.text == "page 2 of 2"
    assert [rank for rank, *_ in entries(response.embeds[0])] == [6, 7]
    shown = buttons(response)
    assert shown["Next"]["disabled"] and not shown["Previous"]["disabled"]

    await world.alice.click(response, label="Previous")
    assert response.embeds[0].footer.text == "page 1 of 2"
    assert world.channel.history() == []  # nobody else saw any of it


async def test_search_forgives_typos_and_titles_what_it_searched(world):
    result = await world.alice.slash(world.channel, "search", query="conept botleneck")
    embed = result.response.embeds[0]
    assert embed.title == "🔎 7 results for “concept bottleneck”"
    assert embed.description.startswith("Showing results for: *concept bottleneck*\n")
    assert "conept" not in embed.title + embed.description
    assert "Concept Bottleneck" in titles(embed)[0]


async def test_search_says_which_words_it_left_out(world):
    result = await world.alice.slash(world.channel, "search", query="concept bottleneck zzzzqqq")
    embed = result.response.embeds[0]
    assert "Concept Bottleneck" in titles(embed)[0]
    assert embed.title == "🔎 7 results for “concept bottleneck”"
    assert "Left out (in no paper): *zzzzqqq*" in embed.description


async def test_a_search_of_unknown_words_only_names_them(world):
    result = await world.alice.slash(world.channel, "search", query="zzzzqqq xqxqxq")
    assert result.response.ephemeral
    assert "Left out (in no paper): *zzzzqqq*, *xqxqxq*" in result.response.content


async def test_search_names_at_most_ten_left_out_words(world):
    query = "concept " + " ".join(f"zzq{letter}zq" for letter in "abcdefghijkl")
    result = await world.alice.slash(world.channel, "search", query=query)
    note = result.response.embeds[0].description.split("\n\n")[0]
    assert "*zzqjzq*" in note and "*zzqkzq*" not in note
    assert note.endswith(" and 2 more")


async def test_search_shows_corrections_as_the_papers_spell_them(world):
    result = await world.alice.slash(world.channel, "search", query="langauge modles")
    embed = result.response.embeds[0]
    assert embed.description.startswith("Showing results for: *language models*")
    assert embed.title.endswith("results for “language models”")


async def test_after_a_restart_typos_of_words_from_new_days_are_still_corrected(world, digest_dir):
    # The restarted bot reads its saved term counts and counts only the papers added
    # since; this day came in while the first bot ran.
    write_papers(digest_dir, "Mar 16, 2026", [(NEW_TITLE, "Ferroelectric gates store weights.")])
    await world.env.advance_time(world.settings.poll_seconds * 2 + 1)
    await world.restart()
    result = await world.alice.slash(world.channel, "search", query="ferroelectrc")
    embed = result.response.embeds[0]
    assert embed.description.startswith("Showing results for: *ferroelectric*")
    assert embed.title == "🔎 1 result for “ferroelectric”"
    assert titles(embed) == [NEW_TITLE]


async def test_search_excerpts_show_tex_quotes_as_typographic_quotes(world):
    result = await world.alice.slash(world.channel, "search", query="post-hoc concept bottleneck")
    description = result.response.embeds[0].description
    assert "(“the **bottleneck**”)" in description
    assert "``" not in description and "''" not in description


async def test_buttons_expire_and_say_so(world):
    result = await world.alice.slash(world.channel, "search", query="concept bottleneck")
    await world.alice.click(result.response, label="Next")
    await world.env.advance_time(601)
    [message] = world.channel.history(viewer=world.alice)
    assert message.embeds[0].footer.text == "page 2 of 2 · Buttons expired; run the command again."
    for row in message.components:
        for item in row.children:
            assert item.disabled or getattr(item, "url", None), item
    with pytest.raises(simcord.SetupError):
        await world.alice.click(result.response, label="Next")


@pytest.mark.parametrize(
    "query",
    ['"', "NEAR(", "a OR", ")", "*", "x" * 300, "   ", "🙂🙂", "zzzzqqqq xxyyzz", "title:foo"],
)
async def test_hostile_or_empty_queries_get_an_answer_never_a_failure(world, query):
    result = await world.alice.slash(world.channel, "search", query=query)
    assert result.acknowledged
    if not result.response.embeds:
        assert result.ephemeral
        assert result.response.content


@pytest.mark.parametrize(
    ("command", "option", "longest"),
    [("search", "query", 300), ("paper", "title", 300), ("random", "topic", 300)],
)
async def test_discord_refuses_text_longer_than_the_schema_allows(world, command, option, longest):
    schema = world.bot.tree.get_command(command).to_dict(world.bot.tree)
    [stated] = [o for o in schema["options"] if o["name"] == option]
    assert (stated["min_length"], stated["max_length"]) == (1, longest)
    with pytest.raises(OptionError, match=f"at most {longest} characters"):
        await world.alice.slash(world.channel, command, **{option: "x" * (longest + 1)})


async def test_no_match_suggests_another_query(world):
    result = await world.alice.slash(world.channel, "search", query="zzzzqqqq")
    assert result.ephemeral
    assert "Try" in result.response.content


async def test_paper_autocomplete_and_full_view(world):
    choices = await world.alice.autocomplete(world.channel, "paper", "title", "conc")
    assert 0 < len(choices) <= 25
    assert all(len(choice["name"]) <= 100 and len(choice["value"]) <= 100 for choice in choices)
    assert all(
        any(word.startswith("conc") for word in choice["name"].lower().replace("-", " ").split())
        for choice in choices
    )

    picked = next(c for c in choices if c["name"].startswith("Post-hoc Concept"))
    result = await world.alice.slash(world.channel, "paper", title=picked["value"])
    embed = result.response.embeds[0]
    assert embed.title == "Post-hoc Concept Bottleneck Models"
    assert len(embed.description) > 1000 and not embed.description.endswith("…")
    labels = [button.label for button in result.response.message.components[0].children]
    assert "Search arXiv" in labels


async def test_paper_value_not_from_the_list_is_searched(world):
    result = await world.alice.slash(world.channel, "paper", title="malalgoqa dataset")
    embed = result.response.embeds[0]
    assert "MalAlgoQA" in embed.title
    buttons = {b.label: b.url for b in result.response.message.components[0].children}
    assert buttons["Code"] == "https://github.com/luffycodes/MalAlgoQA-Dataset"


async def test_paper_long_titles_fit_autocomplete(world):
    choices = await world.alice.autocomplete(world.channel, "paper", "title", "")
    assert 0 < len(choices) <= 25
    assert all(len(choice["name"]) <= 100 for choice in choices)


async def test_unknown_paper_is_an_ephemeral_message(world):
    result = await world.alice.slash(world.channel, "paper", title="qqqqzzzz wwwwxxxx")
    assert result.ephemeral and "No paper matches" in result.response.content


async def test_hostile_digest_text_is_shown_not_obeyed(world):
    result = await world.alice.slash(world.channel, "paper", title="Attack Paper")
    embed = result.response.embeds[0]
    assert "\\*bold\\*" in embed.title and "\\|\\|spoiler\\|\\|" in embed.title
    assert "@\u200beveryone" in embed.title
    assert "<\u200b@123>" in embed.title and "<\u200b@&456>" in embed.title


async def test_random_says_it_is_a_random_pick_on_the_topic_and_rolls_again(world):
    result = await world.alice.slash(world.channel, "random", topic="diffusion")
    assert result.response.content == "🎲 Random paper on “diffusion”"
    embed = result.response.embeds[0]
    assert "diffus" in (embed.title + embed.description).lower()
    assert "Appeared" in [field.name for field in embed.fields]
    await world.alice.click(result.response, label="Another")
    assert result.response.content == "🎲 Random paper on “diffusion”"
    embed = result.response.embeds[0]
    assert "diffus" in (embed.title + embed.description).lower()
    refusal = await world.bob.click(result.response, label="Another")
    assert refusal.ephemeral and "belong to whoever ran the command" in refusal.response.content
    await world.env.advance_time(601)  # expired: the paper shown stays, the button goes
    assert result.response.embeds[0].title == embed.title
    assert result.response.embeds[0].footer.text == "Buttons expired; run the command again."
    assert result.response.content == "🎲 Random paper on “diffusion”"


async def test_random_without_topic_and_with_unknown_topic(world):
    result = await world.alice.slash(world.channel, "random")
    assert result.response.content == "🎲 Random paper"
    assert result.response.embeds[0].title
    nothing = await world.alice.slash(world.channel, "random", topic="qqqqzzzz")
    assert nothing.ephemeral
    assert nothing.response.content == "No paper is about “qqqqzzzz”. Try a broader topic."


async def test_a_topic_with_markup_is_shown_not_obeyed(world):
    result = await world.alice.slash(world.channel, "random", topic="**diffusion**")
    assert result.response.content == "🎲 Random paper on “\\*\\*diffusion\\*\\*”"


async def test_digest_lists_ten_a_page_and_jumps_to_the_end(world):
    result = await world.alice.slash(world.channel, "digest")
    assert result.ephemeral
    embed = result.response.embeds[0]
    assert embed.title == "📰 Daily Papers — Sunday, March 15, 2026 · 1 paper"
    assert embed.footer.text == "page 1 of 1"
    assert set(buttons(result.response)) == {"Share in channel"}  # one page: no paging

    result = await world.alice.slash(world.channel, "digest", date="Mar 14")
    response = result.response
    embed = response.embeds[0]
    assert embed.title == "📰 Daily Papers — Saturday, March 14, 2026 · 87 papers"
    assert embed.footer.text == "page 1 of 9"
    assert [rank for rank, *_ in entries(embed)] == list(range(1, 11))
    assert titles(embed)[0].startswith("QCRD")
    shown = buttons(response)
    assert shown["First"]["disabled"] and shown["Previous"]["disabled"]
    assert_within_limits(response)
    await world.alice.click(response, label="Next")
    assert entries(response.embeds[0])[0][0] == 11
    await world.alice.click(response, label="Last")
    assert response.embeds[0].footer.text == "page 9 of 9"
    assert [rank for rank, *_ in entries(response.embeds[0])] == list(range(81, 88))
    assert buttons(response)["Last"]["disabled"] and buttons(response)["Next"]["disabled"]
    await world.alice.click(response, label="First")
    assert response.embeds[0].footer.text == "page 1 of 9"


async def test_digest_date_autocomplete_lists_known_days(world):
    choices = await world.alice.autocomplete(world.channel, "digest", "date", "")
    assert [choice["value"][5:] for choice in choices] == ["03-15", "03-14", "03-13"]
    choices = await world.alice.autocomplete(world.channel, "digest", "date", "friday")
    assert [choice["value"][5:] for choice in choices] == ["03-13"]


async def test_unknown_or_bad_day_is_an_ephemeral_message(world):
    unknown = await world.alice.slash(world.channel, "digest", date="Mar 20")
    assert unknown.ephemeral
    assert "Mar 15" in unknown.response.content and "Mar 13" in unknown.response.content
    garbage = await world.alice.slash(world.channel, "digest", date="next tuesday-ish")
    assert garbage.ephemeral and "not a date" in garbage.response.content


async def test_a_day_its_month_does_not_have_offers_the_nearest_known_days(world):
    result = await world.alice.slash(world.channel, "digest", date="Feb 30")
    assert result.ephemeral
    assert result.response.content == (
        "“Feb 30” is not a date. Try `Mar 14`, `March 14, 2026` or `2026-03-14`. "
        "Nearest days with digests: Mar 13, 2026, Mar 14, 2026, Mar 15, 2026."
    )


async def test_every_command_works_in_direct_messages(world):
    dm_user = world.env.create_user("carol")
    search = await dm_user.slash("search", query="chain of thought")
    assert search.response.embeds
    paper = await dm_user.slash("paper", title="Post-hoc Concept Bottleneck Models")
    assert paper.response.embeds[0].title.startswith("Post")
    rand = await dm_user.slash("random")
    assert rand.response.embeds
    digest = await dm_user.slash("digest", date="2026-03-13")
    assert "79 papers" in digest.response.embeds[0].title
    # Nobody else is in a DM: lists are ordinary messages there, with nothing to share.
    for listed in (search, digest):
        assert not listed.ephemeral
        assert "Share in channel" not in buttons(listed.response)


async def test_commands_are_unique_and_fully_described(world):
    assert not world.bot.failed_extensions
    assert set(EXTENSIONS) <= set(world.bot.extensions)
    commands = world.bot.tree.get_commands()
    names = [command.name for command in commands]
    assert len(names) == len(set(names))
    assert {"search", "paper", "random", "digest"} <= set(names)
    for command in commands:
        assert command.description and command.description != "…", command.name
        for parameter in getattr(command, "parameters", []):
            assert parameter.description and parameter.description != "…", (
                f"/{command.name} {parameter.name}"
            )
