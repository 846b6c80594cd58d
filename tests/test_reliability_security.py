"""Security: permissions, whose subscriptions, the token, the repo and container, and
inputs that try to make search or autocomplete slow."""

from __future__ import annotations

import logging
import random
import subprocess
import time

import discord
import pytest

from bot.client import APOLOGY, PaperboyTree
from bot.config import Settings
from bot.runner import setup_logging
from tests.conftest import ROOT
from tests.reliability import fast_settle, record
from tests.simbot import pings, user_messages, write_papers

FAKE_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GfAkEt.0123456789abcdefghijklmnopqrstuvwxyzAB"


@pytest.fixture
def world(sim, monkeypatch):
    fast_settle(monkeypatch)
    env = sim.env
    sim.guild = env.create_guild("Research")
    sim.channel = sim.guild.create_text_channel("papers")
    admins = sim.guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    sim.admin = sim.guild.add_member(env.create_user("ada"), roles=[admins])
    sim.alice = sim.guild.add_member(env.create_user("alice"))
    sim.bob = sim.guild.add_member(env.create_user("bob"))
    return sim


async def test_admin_commands_refuse_members_in_the_handler(world, request):
    for name in ("setup", "post"):
        command = next(
            c
            for scope in world.env.backend.commands.values()
            for c in scope.values()
            if c["name"] == name
        )
        world.env.backend.set_command_permissions(
            world.guild.id,
            int(command["id"]),
            [{"id": world.guild.id, "type": 1, "permission": True}],
        )
    refused = [
        await world.bob.slash(world.channel, "setup", channel=world.channel),
        await world.bob.slash(world.channel, "post"),
        await world.bob.slash(world.channel, "post", date="Mar 14"),
    ]
    unchanged = await world.bot.database.posts.guild_channel(world.guild.id) is None
    ok = all(r.ephemeral and "Manage Server" in r.response.content for r in refused)
    record(
        request,
        "Admin commands (/setup, /post) from a member without Manage Server",
        order=60,
        inputs="3 calls with the commands made visible to everyone "
        "(also tests/test_publisher.py::test_members_without_manage_server_are_refused_"
        "even_if_shown_the_commands and ::test_admin_commands_are_hidden_from_members_by_default)",
        faults="permission bypass attempt",
        delivered=f"{sum(ok for _ in refused)}/3 refused privately",
        lost="—",
        duplicated="—",
        outcome="checked in the handler; nothing configured or posted"
        if unchanged
        else "SETTINGS CHANGED",
    )
    assert ok and unchanged
    assert user_messages(world.channel) == []


async def test_members_only_see_and_remove_their_own_subscriptions_per_server(
    world, request, digest_dir
):
    env = world.env
    other = env.create_guild("Other")
    other_channel = other.create_text_channel("feed")
    mods = other.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
    mod = other.add_member(env.create_user("mod"), roles=[mods])
    alice_there = other.add_member(world.alice.user)
    await world.admin.slash(world.channel, "setup", channel=world.channel)
    await mod.slash(other_channel, "setup", channel=other_channel)
    await world.alice.slash(world.channel, "subscribe", keyword="gadgets")
    await world.bob.slash(world.channel, "subscribe", keyword="sprockets")

    checks = {
        "bob cannot remove alice's keyword": "do not follow"
        in (
            await world.bob.slash(world.channel, "unsubscribe", keyword="gadgets")
        ).response.content,
        "bob's suggestions hold only his": [
            c["value"]
            for c in await world.bob.autocomplete(world.channel, "unsubscribe", "keyword", "")
        ]
        == ["sprockets"],
        "bob's list holds only his": "gadgets"
        not in (await world.bob.slash(world.channel, "subscriptions")).response.content,
        "alice sees nothing in the other server": "follow no keywords"
        in (await alice_there.slash(other_channel, "subscriptions")).response.content,
        "alice cannot remove it from the other server": "do not follow"
        in (
            await alice_there.slash(other_channel, "unsubscribe", keyword="gadgets")
        ).response.content,
    }
    write_papers(
        digest_dir,
        "Mar 15, 2026",
        [("Gadgets and Sprockets at Scale", "We study gadgets and sprockets. " * 10)],
    )
    await env.advance_time(world.settings.poll_seconds + 1)
    alerted = {}
    for channel in (world.channel, other_channel):
        (thread,) = [t for t in channel.threads if t.name == "Papers 2026-03-15"]
        alerted[channel.id] = sorted(u for m in user_messages(thread) for u in pings(env, m)[0])
    checks["alerts only in the server subscribed in"] = alerted == {
        world.channel.id: sorted([world.alice.id, world.bob.id]),
        other_channel.id: [],
    }
    still = await world.bot.database.subscriptions.of_member(world.guild.id, world.alice.id)
    checks["alice's keyword survived"] = [s.keyword.label for s in still] == ["gadgets"]
    record(
        request,
        "Subscriptions: own only, never across servers",
        order=61,
        inputs="other member's remove/list/autocomplete; same user in a second server; "
        "a day posted to both servers",
        faults="cross-member and cross-server access attempts",
        delivered=f"{sum(checks.values())}/{len(checks)} checks held",
        lost="0" if checks["alice's keyword survived"] else "1",
        duplicated="0",
        outcome="; ".join(name for name, held in checks.items() if not held) or "all held",
    )
    assert all(checks.values()), checks


def test_the_token_never_reaches_logs_or_replies(capsys, request):
    root = logging.getLogger()
    level = root.level
    handler = setup_logging(Settings(token=FAKE_TOKEN, log_level="DEBUG"))
    leaks = []
    try:
        log = logging.getLogger("paperboy.test")
        log.info("connecting with %s", FAKE_TOKEN)
        log.warning(f"token is {FAKE_TOKEN}")
        logging.getLogger("discord.http").debug("Authorization: Bot %s", FAKE_TOKEN)
        try:
            raise RuntimeError(f"login failed for {FAKE_TOKEN}")
        except RuntimeError:
            log.exception("startup failed")
        try:
            try:
                raise ValueError(FAKE_TOKEN)
            except ValueError as inner:
                raise KeyError("outer") from inner
        except KeyError:
            log.error("chained", exc_info=True)
        output = capsys.readouterr()
        text = output.err + output.out
        lines = text.count("\n")
        if FAKE_TOKEN in text:
            leaks.append("log output")
        if FAKE_TOKEN in repr(Settings(token=FAKE_TOKEN)):
            leaks.append("Settings repr")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    record(
        request,
        "Bot token in logs and error messages",
        order=62,
        inputs="5 log calls with the token in message, args, exception and chained cause; "
        "Settings repr; the apology users get",
        faults="token placed in every log path",
        delivered=f"{lines} log lines written",
        lost="—",
        duplicated="—",
        outcome=f"{len(leaks)} leaks ({', '.join(leaks) or 'token redacted as [token]'}); "
        f"users see only: {APOLOGY[:40]}…",
    )
    assert leaks == []
    assert "[token]" in text
    assert FAKE_TOKEN not in APOLOGY and issubclass(PaperboyTree, discord.app_commands.CommandTree)


def test_env_is_ignored_and_the_container_is_not_root(request):
    ignored = (
        subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT, check=False).returncode == 0
    )
    dockerfile = (ROOT / "Dockerfile").read_text().splitlines()
    users = [line.split()[1] for line in dockerfile if line.strip().startswith("USER ")]
    non_root = bool(users) and users[-1] not in ("root", "0", "0:0")
    record(
        request,
        "Secrets and container: .env git-ignored, container user",
        order=63,
        inputs=".gitignore (git check-ignore .env), Dockerfile USER lines",
        faults="—",
        delivered="—",
        lost="—",
        duplicated="—",
        outcome=f".env ignored: {ignored}; container runs as {users[-1] if users else 'root'}",
    )
    assert ignored and non_root


def _typos(vocabulary: list[str], count: int, rng: random.Random) -> list[str]:
    words = [w for w in vocabulary if w.isalpha() and len(w) >= 8]
    typos = []
    for word in rng.sample(words, min(count, len(words))):
        i = rng.randrange(1, len(word) - 1)
        typos.append(word[:i] + word[i + 1] + word[i] + word[i + 2 :] + "q")
    return typos


async def test_no_input_makes_search_or_autocomplete_slow(world, request):
    vocabulary = list(world.bot.catalog.vocabulary.counts())
    rng = random.Random(5)
    typo_query = " ".join(_typos(vocabulary, 60, rng))
    attacks = {
        # Commands get the first 300 (their schema's limit); autocomplete gets all of it.
        "6,000 chars of 'a a a'": "a " * 3000,
        "6,000 chars, one word": "x" * 6000,
        "299 chars of long typo'd words": typo_query[:299],
        "299 chars of 'a*' prefixes": ("a* " * 100)[:299],
        "299 chars of quotes and NEAR(": ('"NEAR( ' * 43)[:299],
        "299 chars of common words": " ".join(["model"] * 50)[:299],
    }
    worst: dict[str, float] = {}
    for label, value in attacks.items():
        for kind in ("search", "paper", "random", "autocomplete /paper", "subscribe"):
            started = time.perf_counter()
            if kind == "autocomplete /paper":
                choices = await world.alice.autocomplete(world.channel, "paper", "title", value)
                assert len(choices) <= 25
            elif kind == "search":  # Discord lets at most MAX_QUERY_CHARS through
                result = await world.alice.slash(world.channel, "search", query=value[:300])
            elif kind == "paper":
                result = await world.alice.slash(world.channel, "paper", title=value[:300])
            elif kind == "random":
                result = await world.alice.slash(world.channel, "random", topic=value[:300])
            else:
                result = await world.alice.slash(world.channel, "subscribe", keyword=value[:100])
            took = time.perf_counter() - started
            worst[f"{kind}: {label}"] = took
            if kind != "autocomplete /paper":
                assert result.response is not None
    slowest = max(worst, key=worst.get)
    record(
        request,
        "Pathological queries: search, /paper, /random, /subscribe, autocomplete",
        order=64,
        inputs=f"{len(attacks)} inputs × 5 entry points (vocabulary {len(vocabulary):,} terms)",
        faults="adversarial input",
        delivered=f"{len(worst)}/{len(worst)} answered",
        lost="0",
        duplicated="—",
        outcome=f"worst {worst[slowest] * 1000:.0f} ms ({slowest}); limit 3,000 ms",
    )
    assert max(worst.values()) < 3.0
