"""bot.storage.subscriptions: keywords per member, and alerts sent once per paper."""

from __future__ import annotations

from bot.matching import parse_keyword
from bot.models import Subscribed
from bot.storage import Database

GUILD, OTHER_GUILD, ALICE, BOB = 1, 2, 10, 11


async def test_adding_reports_duplicates_and_the_limit(database: Database) -> None:
    subscriptions = database.subscriptions
    first = parse_keyword("Diffusion Models", "audio")
    assert await subscriptions.add(GUILD, ALICE, first, limit=2) is Subscribed.ADDED
    same = parse_keyword("diffusion model")
    assert await subscriptions.add(GUILD, ALICE, same, limit=2) is Subscribed.DUPLICATE
    assert await subscriptions.add(GUILD, ALICE, parse_keyword("agents"), 2) is Subscribed.ADDED
    assert await subscriptions.add(GUILD, ALICE, parse_keyword("rlhf"), 2) is Subscribed.LIMIT
    assert await subscriptions.add(OTHER_GUILD, ALICE, first, 2) is Subscribed.ADDED
    mine = await subscriptions.of_member(GUILD, ALICE)
    assert [(s.keyword.label, s.keyword.exclude) for s in mine] == [
        ("Diffusion Models", ("audio",)),
        ("agents", ()),
    ]
    assert sorted(await subscriptions.keyword_rows(GUILD)) == [
        ("agent", "", ALICE),
        ("diffusion model", "audio", ALICE),
    ]


async def test_removing_by_key(database: Database) -> None:
    subscriptions = database.subscriptions
    await subscriptions.add(GUILD, ALICE, parse_keyword("agents"), 25)
    assert not await subscriptions.remove(GUILD, BOB, "agent")
    assert await subscriptions.remove(GUILD, ALICE, "agent")
    assert await subscriptions.of_member(GUILD, ALICE) == []


async def test_alerts_are_remembered_per_server_member_and_paper(database: Database) -> None:
    subscriptions = database.subscriptions
    await subscriptions.record_alert(GUILD, ALICE, [1, 2], post_id=5, message_id=50)
    await subscriptions.record_alert(GUILD, ALICE, [2, 3], post_id=6, message_id=60)  # 2 again
    members = [ALICE, BOB, *range(1000, 1900)]  # more than one query's worth of members
    assert await subscriptions.already_alerted(GUILD, members, [1, 2, 3, 4]) == {
        (ALICE, 1),
        (ALICE, 2),
        (ALICE, 3),
    }
    assert await subscriptions.already_alerted(OTHER_GUILD, members, [1, 2, 3]) == set()
    assert await subscriptions.already_alerted(GUILD, [], [1]) == set()
