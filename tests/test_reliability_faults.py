"""Reliability: Discord errors and restarts at every step of a day's post and its alerts.

Two servers get the same day and the same subscribers in the same pass: "Faulty" has
faults injected into its requests only, "Control" runs uninterrupted. After the faults
stop (and, for restarts, a fresh bot takes over), Faulty must hold exactly what Control
holds: every paper and every alert delivered exactly once.

A day of 25 papers to a server with three subscribers makes these requests, in order:
message 1 the header, thread creation, messages 2-4 the papers (10, 10, 5), messages
5-7 one alert per subscriber, message 8 the closing line.
"""

from __future__ import annotations

import pytest

from tests.posting_world import MESSAGES, NEW_DAY, THREADS, World, delivery_row
from tests.simbot import embed_titles, user_messages, write_day


@pytest.fixture
def world(posting_world: World) -> World:
    return posting_world


# -- Discord errors -------------------------------------------------------------------------

FAULTS = {
    "500": ("POST", MESSAGES, 500, [1, 2, 3, 4, 5, 6, 7]),
    "429": ("POST", MESSAGES, 429, [1, 3, 4, 6]),
    "403-thread": ("POST", THREADS, 403, [1]),
    "403-message": ("POST", MESSAGES, 403, [2, 4, 6]),
}
CASES = [(kind, position) for kind, (*_, positions) in FAULTS.items() for position in positions]


@pytest.mark.parametrize(("kind", "position"), CASES, ids=[f"{k}-at-{p}" for k, p in CASES])
async def test_discord_errors_mid_post_deliver_everything_once(world, request, kind, position):
    method, pattern, status, positions = FAULTS[kind]
    await world.setup()
    world.log.fail(method, pattern, position, status=status, guild_id=world.faulty.id)
    titles = write_day(world.sim.settings.digest_dir, NEW_DAY, 25)
    await world.passes(1)
    assert world.log.injected == 1
    world.log.clear()  # the faults stop
    await world.passes(3)

    control = world.state("Control")
    faulty = world.state("Faulty")
    assert control[0] == titles and len(control[1]) == 3 and control[2:] == (1, 1)
    result = world.check_delivery(titles)
    what = {
        "500": "HTTP 500 on message",
        "429": "HTTP 429 on message",
        "403-thread": "HTTP 403 on thread creation",
        "403-message": "HTTP 403 on message",
    }[kind]
    delivery_row(
        request,
        f"fault-{kind}",
        f"Discord {what.split(' on ')[0].removeprefix('HTTP ')} during a day's post and alerts",
        30,
        f"{what} n (n = {', '.join(map(str, positions))})",
        result,
        positions,
    )
    if kind == "403-thread":  # no thread: the papers go to the channel itself
        assert sorted(faulty[0]) == sorted(titles) and faulty[1] == control[1]
    elif kind == "403-message":  # the thread refused a message: the rest goes to the channel
        assert sorted(faulty[0]) == sorted(titles) and faulty[1] == control[1]
        in_channel = user_messages(world.servers["Faulty"][1])
        papers = len(embed_titles([m for m in in_channel if m.embeds]))
        alerts = len([m for m in in_channel if "matching your subscriptions" in m.content])
        assert (papers, alerts) == {2: (25, 3), 4: (5, 3), 6: (0, 2)}[position]
    else:
        assert faulty == control
    assert result[1:] == (0, 0)


@pytest.mark.parametrize("position", [2, 3, 5])
async def test_channel_deleted_mid_post_then_moved_delivers_the_rest_once(world, request, position):
    guild, channel, admin, _ = world.servers["Faulty"]
    await world.setup()
    env = world.sim.env
    # Delete the digest channel (and its thread) right after message `position` went out.
    world.log.after(
        "POST",
        MESSAGES,
        position,
        lambda: env.backend.delete_channel(channel.id),
        guild_id=guild.id,
    )
    titles = write_day(world.sim.settings.digest_dir, NEW_DAY, 25)
    await world.passes(1)
    moved = guild.create_text_channel("papers-2")
    status = await admin.slash(moved, "setup")
    assert "failing" in status.response.content or "posted" in status.response.content
    await admin.slash(moved, "setup", channel=moved)
    await world.passes(3)

    result = world.check_delivery(titles)
    delivery_row(
        request,
        "fault-deleted",
        "Digest channel deleted mid-post, admin moves it with /setup",
        31,
        "channel deleted after message n (n = 2, 3, 5); its thread goes with it",
        result,
        [2, 3, 5],
        good="every paper and alert accepted by Discord exactly once; the new channel gets "
        "a new header and what the deleted one had not received",
    )
    # What had not been accepted before the deletion arrives in the new channel, once.
    assert result[1:] == (0, 0)
    assert world.state("Faulty", moved)[2] == 1  # one new header there


# -- restarts at every step -------------------------------------------------------------------

STEPS = {
    "after-nothing (header fails)": ("POST", MESSAGES, 1),
    "after-header (thread fails)": ("POST", THREADS, 1),
    "after-thread (1st paper message fails)": ("POST", MESSAGES, 2),
    "after-1st-paper-message": ("POST", MESSAGES, 3),
    "after-2nd-paper-message": ("POST", MESSAGES, 4),
    "after-papers (1st alert fails)": ("POST", MESSAGES, 5),
    "mid-alerts (2nd alert fails)": ("POST", MESSAGES, 6),
    "mid-alerts (3rd alert fails)": ("POST", MESSAGES, 7),
    "after-alerts (closing line fails)": ("POST", MESSAGES, 8),
}


@pytest.mark.soak
@pytest.mark.parametrize("step", list(STEPS))
async def test_restart_at_every_step_ends_like_an_uninterrupted_run(world, request, step):
    method, pattern, nth = STEPS[step]
    await world.setup()
    # The step fails (as if the process died there), then a fresh bot takes over.
    world.log.fail(method, pattern, nth, status=500, guild_id=world.faulty.id)
    titles = write_day(world.sim.settings.digest_dir, NEW_DAY, 25)
    await world.passes(1)
    world.log.clear()
    await world.sim.restart()
    await world.passes(2)

    control = world.state("Control")
    faulty = world.state("Faulty")
    result = world.check_delivery(titles)
    delivery_row(
        request,
        "restart",
        "Restart at every step of a day's post and alerts",
        32,
        "step fails, then restart: " + ", ".join(STEPS),
        result,
        "each step",
    )
    assert control[0] == titles
    assert faulty == control
    assert result[1:] == (0, 0)
