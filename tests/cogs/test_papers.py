"""End to end through SimCord: /search, /paper, /random, /digest as members use them."""

from __future__ import annotations

import pytest
import simcord
from simcord.backend.errors import OptionError

from bot.client import EXTENSIONS
from tests.simbot import all_pings, write_papers

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


@pytest.fixture
def world(sim):
    guild = sim.env.create_guild("Research")
    sim.channel = guild.create_text_channel("papers")
    sim.alice = guild.add_member(sim.env.create_user("alice"))
    sim.bob = guild.add_member(sim.env.create_user("bob"))
    yield sim
    assert all_pings(sim.env) == [], "a command pinged someone"


def field_titles(response) -> list[str]:
    return [field.name for field in response.embeds[0].fields]


async def test_search_ranks_best_first_and_pages_with_buttons(world):
    result = await world.alice.slash(world.channel, "search", query="concept bottleneck")
    response = result.response
    assert not result.ephemeral
    assert "Concept Bottleneck" in field_titles(response)[0]
    assert len(response.embeds[0].fields) == 5
    assert response.embeds[0].footer.text == "page 1 of 2"
    buttons = {button["label"]: button for button in response.components[0]["components"]}
    assert buttons["Previous"]["disabled"] and not buttons["Next"]["disabled"]
    # Query words are visible (bold) in the excerpts.
    assert "**" in response.embeds[0].fields[0].value

    await world.alice.click(response, label="Next")
    assert response.embeds[0].footer.text == "page 2 of 2"
    page_two = field_titles(response)
    assert page_two[0].startswith("6.")
    buttons = {button["label"]: button for button in response.components[0]["components"]}
    assert buttons["Next"]["disabled"] and not buttons["Previous"]["disabled"]

    await world.alice.click(response, label="Previous")
    assert response.embeds[0].footer.text == "page 1 of 2"


async def test_search_forgives_typos(world):
    result = await world.alice.slash(world.channel, "search", query="conept botleneck")
    assert "Concept Bottleneck" in field_titles(result.response)[0]
    assert "concept" in result.response.embeds[0].description.lower()


async def test_search_says_which_words_it_left_out(world):
    result = await world.alice.slash(world.channel, "search", query="concept bottleneck zzzzqqq")
    assert "Concept Bottleneck" in field_titles(result.response)[0]
    assert "Left out (in no paper): *zzzzqqq*" in result.response.embeds[0].description


async def test_a_search_of_unknown_words_only_names_them(world):
    result = await world.alice.slash(world.channel, "search", query="zzzzqqq xqxqxq")
    assert result.response.ephemeral
    assert "Left out (in no paper): *zzzzqqq*, *xqxqxq*" in result.response.content


async def test_search_names_at_most_ten_left_out_words(world):
    query = "concept " + " ".join(f"zzq{letter}zq" for letter in "abcdefghijkl")
    result = await world.alice.slash(world.channel, "search", query=query)
    description = result.response.embeds[0].description
    assert "*zzqjzq*" in description and "*zzqkzq*" not in description
    assert description.endswith(" and 2 more")


async def test_search_shows_corrections_as_the_papers_spell_them(world):
    result = await world.alice.slash(world.channel, "search", query="langauge modles")
    description = result.response.embeds[0].description
    assert description.startswith("Showing results for: *language*, *models*")


async def test_after_a_restart_typos_of_words_from_new_days_are_still_corrected(world, digest_dir):
    # The restarted bot reads its saved term counts and counts only the papers added
    # since; this day came in while the first bot ran.
    write_papers(digest_dir, "Mar 16, 2026", [(NEW_TITLE, "Ferroelectric gates store weights.")])
    await world.env.advance_time(world.settings.poll_seconds * 2 + 1)
    await world.restart()
    result = await world.alice.slash(world.channel, "search", query="ferroelectrc")
    embed = result.response.embeds[0]
    assert embed.description.startswith("Showing results for: *ferroelectric*")
    assert field_titles(result.response)[0] == f"1. {NEW_TITLE}"


async def test_only_the_searcher_turns_pages(world):
    result = await world.alice.slash(world.channel, "search", query="concept bottleneck")
    refusal = await world.bob.click(result.response, label="Next")
    assert refusal.ephemeral
    assert result.response.embeds[0].footer.text == "page 1 of 2"


async def test_buttons_expire_and_say_so(world):
    result = await world.alice.slash(world.channel, "search", query="concept bottleneck")
    await world.env.advance_time(601)
    message = world.channel.last_message
    assert "expired" in message.embeds[0].footer.text.lower()
    assert all(button.disabled for button in message.components[0].children)
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


async def test_random_on_a_topic_and_another(world):
    result = await world.alice.slash(world.channel, "random", topic="diffusion")
    embed = result.response.embeds[0]
    assert "diffus" in (embed.title + embed.description).lower()
    await world.alice.click(result.response, label="Another")
    embed = result.response.embeds[0]
    assert "diffus" in (embed.title + embed.description).lower()


async def test_random_without_topic_and_with_unknown_topic(world):
    result = await world.alice.slash(world.channel, "random")
    assert result.response.embeds[0].title
    nothing = await world.alice.slash(world.channel, "random", topic="qqqqzzzz")
    assert nothing.ephemeral and "No paper" in nothing.response.content


async def test_digest_defaults_to_latest_day_and_pages(world):
    result = await world.alice.slash(world.channel, "digest")
    embed = result.response.embeds[0]
    assert "March 15" in embed.title and "1 papers" in embed.title

    result = await world.alice.slash(world.channel, "digest", date="Mar 14")
    embed = result.response.embeds[0]
    assert "Saturday, March 14" in embed.title and "87 papers" in embed.title
    assert embed.footer.text == "page 1 of 18"
    assert embed.fields[0].name.startswith("1. QCRD")
    await world.alice.click(result.response, label="Next")
    assert result.response.embeds[0].fields[0].name.startswith("6.")


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
