"""What the command tests share: a server with two members, and no stray pings."""

from __future__ import annotations

import pytest

from tests.simbot import all_pings


@pytest.fixture
def world(sim):
    """A "Research" server with a #papers channel and members alice and bob; fails the
    test if any command pinged anyone."""
    guild = sim.env.create_guild("Research")
    sim.channel = guild.create_text_channel("papers")
    sim.alice = guild.add_member(sim.env.create_user("alice"))
    sim.bob = guild.add_member(sim.env.create_user("bob"))
    yield sim
    assert all_pings(sim.env) == [], "a command pinged someone"
