"""bot.alerts: subscribing keeps the cached keyword index in step with the database."""

from __future__ import annotations

from bot.alerts import Alerts
from bot.matching import parse_keyword
from bot.models import Paper, Subscribed
from bot.storage import Database

GUILD, ALICE, BOB = 1, 10, 11
PAPERS = [
    Paper(1, "Diffusion Models for Audio", "We generate audio with diffusion."),
    Paper(2, "Agents that Plan", "Language agents plan with tools."),
    Paper(3, "Latent Diffusion at Scale", "Image diffusion models, scaled up."),
]


async def test_a_day_alerts_the_members_whose_keywords_match(database: Database) -> None:
    alerts = Alerts(database)
    await alerts.subscribe(GUILD, ALICE, parse_keyword("diffusion", "audio"))
    await alerts.subscribe(GUILD, BOB, parse_keyword("agents"))
    day = await alerts.decide(GUILD, PAPERS)
    assert day.members == {ALICE, BOB}
    assert day.hits(ALICE) == [("diffusion", [2])]
    assert day.hits(BOB) == [("agent", [1])]


async def test_changes_after_the_index_is_built_are_seen(database: Database) -> None:
    alerts = Alerts(database)
    await alerts.subscribe(GUILD, ALICE, parse_keyword("diffusion"))
    assert (await alerts.decide(GUILD, PAPERS)).members == {ALICE}  # builds the index
    assert await alerts.subscribe(GUILD, BOB, parse_keyword("agents")) is Subscribed.ADDED
    assert await alerts.unsubscribe(GUILD, ALICE, "Diffusion")  # any spelling of the key
    assert not await alerts.unsubscribe(GUILD, ALICE, "diffusion")
    assert (await alerts.decide(GUILD, PAPERS)).members == {BOB}
    fresh = Alerts(database)  # a restarted bot reads the same from the database
    assert (await fresh.decide(GUILD, PAPERS)).members == {BOB}


async def test_unsent_leaves_out_papers_already_alerted(database: Database) -> None:
    alerts = Alerts(database)
    await alerts.subscribe(GUILD, ALICE, parse_keyword("Diffusion"))
    day = await alerts.decide(GUILD, PAPERS)
    lines = await alerts.unsent(GUILD, ALICE, PAPERS, day.hits(ALICE))
    assert [(paper.id, labels) for paper, labels in lines] == [
        (1, ["Diffusion"]),
        (3, ["Diffusion"]),
    ]
    await database.subscriptions.record_alert(GUILD, ALICE, [1], post_id=1, message_id=1)
    lines = await alerts.unsent(GUILD, ALICE, PAPERS, day.hits(ALICE))
    assert [paper.id for paper, _ in lines] == [3]
