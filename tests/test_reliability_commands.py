"""Reliability: every slash-command text option under fuzzing, through SimCord.

Hostile values (FTS5 operators, quotes, SQL, markdown, mentions, zero-width and
right-to-left characters, emoji, 6,000 characters) go to every text option (cut to the
length each option's schema allows, as the Discord client does) and every autocomplete.
Every call must get an answer (a result or a private error), none may raise, and no
message may ping anyone; alerts for fuzzed keywords ping exactly the member who
subscribed.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict

import pytest

from bot import render
from tests.reliability import budget, fast_settle, p95, record
from tests.simbot import (
    all_pings,
    as_typed,
    is_answer,
    pings,
    raise_unexpected_errors,
    setup_server,
    user_messages,
    write_papers,
)

ATOMS = [
    # FTS5 syntax and quoting
    '"',
    '""',
    "'",
    "NEAR(",
    "NEAR(concept bottleneck, 2)",
    "a OR",
    "AND",
    "NOT diffusion",
    ")",
    "(",
    "*",
    "^title",
    "title:",
    "{title abstract}: x",
    "-",
    "+",
    ":",
    "col*umn",
    # SQL fragments
    "'; DROP TABLE papers; --",
    "' OR 1=1 --",
    '" OR ""="',
    "UNION SELECT * FROM subscriptions",
    "%",
    "_",
    "\\",
    "\\\\'",
    # markdown
    "**bold**",
    "__under__",
    "~~strike~~",
    "||spoiler||",
    "`code`",
    "```block```",
    "> quote",
    "# heading",
    "[link](https://example.com)",
    # mentions
    "@everyone",
    "@here",
    "<@123>",
    "<@!123>",
    "<@&456>",
    "<#789>",
    "</search:1>",
    "<t:0:R>",
    "<a:x:1>",
    # invisible, bidirectional, emoji and other scripts
    "\u200b",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u202e",
    "\u202d",
    "\u200f",
    "\u061c",
    "مرحبا",
    "שלום",
    "日本語",
    "🙂",
    "👩\u200d👩\u200d👧\u200d👦",
    "🇺🇳",
    "Z\u0364\u0354\u0367\u0311a\u0308\u0356",
    "ＡＢＣ",
    # real words, dates, typos
    "diffusion",
    "concept bottleneck",
    "chain of thought",
    "conept",
    "botleneck",
    "Mar 14",
    "2026-03-13",
    "March 13, 2026",
    "Mar 32",
    "0000-00-00",
    "9999-12-31",
    "Feb 29",
    # control characters and space
    "\t",
    "\n",
    "\r\n",
    "   ",
    "\x00",
    "\x1b[31m",
]
LONG = [
    "a " * 3000,
    "x" * 6000,
    "🙂" * 6000,
    ("@everyone <@123> " * 400)[:6000],
    ('"NEAR(' * 1000)[:6000],
    "\u200b" * 6000,
]


def fuzz_values(count: int, seed: int) -> list[str]:
    """`count` hostile strings: every atom alone, every long value, then random mixes."""
    rng = random.Random(seed)
    values = [*ATOMS, *LONG]
    while len(values) < count:
        parts = rng.choices(ATOMS, k=rng.randint(2, 7))
        separator = rng.choice([" ", "", "\u200b", " OR ", "\n", '"'])
        value = separator.join(parts)
        if rng.random() < 0.05:
            value = (value + " ") * (6000 // (len(value) + 1) + 1)
        values.append(value[:6000])
    return values[:count]


PER_COMMAND = budget(200, 2000)


@pytest.fixture
def world(sim, monkeypatch):
    fast_settle(monkeypatch)
    guild = setup_server(sim)
    sim.members = [guild.add_member(sim.env.create_user(f"m{index}")) for index in range(8)]
    return sim


def answered(result) -> bool:
    """A result (embed or text) or a private error, never "This interaction failed"."""
    if not result.acknowledged or result.response is None:
        return False
    response = result.response
    return bool(response.embeds) or bool(response.content)


def good_choices(choices) -> bool:
    return len(choices) <= 25 and all(
        1 <= len(choice["name"]) <= 100 and len(str(choice["value"])) <= 100 for choice in choices
    )


async def test_every_text_option_survives_fuzzing(world, request, digest_dir):
    env = world.env
    await world.admin.slash(world.channel, "setup", channel=world.channel)
    values = fuzz_values(PER_COMMAND, seed=7)
    stats: Counter[str] = Counter()
    timings: defaultdict[str, list[float]] = defaultdict(list)
    failures: list[tuple[str, str]] = []

    async def call(label: str, member, command: str, **options):
        started = time.perf_counter()
        options = as_typed(world.bot, command, options)
        result = await member.slash(world.channel, command, **options)
        timings[label].append(time.perf_counter() - started)
        stats[label] += 1
        if not answered(result):
            failures.append((label, repr(options)[:80]))
        return result

    async def complete(label: str, member, command: str, option: str, value: str, **filled):
        started = time.perf_counter()
        choices = await member.autocomplete(world.channel, command, option, value, **filled)
        timings[label].append(time.perf_counter() - started)
        stats[label] += 1
        if not good_choices(choices):
            failures.append((label, repr(value)[:80]))
        return choices

    errors_before = len(env.errors)
    member = world.members[0]
    for index, value in enumerate(values):
        other = values[(index * 7 + 3) % len(values)]
        subscriber = world.members[index % len(world.members)]
        await call("/search query", member, "search", query=value)
        await call("/paper title", member, "paper", title=value)
        await complete("/paper title (autocomplete)", member, "paper", "title", value)
        await call("/random topic", member, "random", topic=value)
        await call("/digest date", member, "digest", date=value)
        await complete("/digest date (autocomplete)", member, "digest", "date", value)
        result = await call(
            "/subscribe keyword+exclude", subscriber, "subscribe", keyword=value, exclude=other
        )
        if "Subscribed to" in result.response.content:
            stats["subscribed"] += 1
            await complete(
                "/unsubscribe keyword (autocomplete)", subscriber, "unsubscribe", "keyword", value
            )
            removed = await call("/unsubscribe keyword", subscriber, "unsubscribe", keyword=value)
            if "Unsubscribed" not in removed.response.content:
                failures.append(("unsubscribe after subscribe", repr(value)[:80]))
        else:
            await call("/unsubscribe keyword", subscriber, "unsubscribe", keyword=value)
            await complete(
                "/unsubscribe keyword (autocomplete)", subscriber, "unsubscribe", "keyword", value
            )
        if index % 10 == 9:  # let the buttons expire: SimCord slows with many live views
            await env.advance_time(601)
        if index % 3 == 0:  # /post of a real day sends a whole day: fewer of those
            await call("/post date", world.admin, "post", date=value)
            await complete("/post date (autocomplete)", world.admin, "post", "date", value)

    # Alerts for fuzzed keywords that were accepted: exactly the subscriber is pinged.
    await _alerts_for_fuzzed_keywords(world, digest_dir, values, stats)

    exceptions = [e for e in env.errors[errors_before:] if not is_answer(e)]
    stray = [
        ping
        for ping in all_pings(env)
        if "matching your subscriptions" not in ping[0] or len(ping[1]) != 1 or ping[2] or ping[3]
    ]
    calls = sum(count for label, count in stats.items() if label.startswith("/"))
    worst = max(max(samples) for samples in timings.values())
    record(
        request,
        "Slash-command text options under fuzzing (SimCord)",
        order=20,
        inputs=f"{len(values)} hostile values per option; {calls:,} interactions: "
        + ", ".join(f"{label} {stats[label]}" for label in sorted(timings)),
        faults="bad input only",
        delivered=f"{calls - len(failures):,}/{calls:,} answered",
        lost=f"{len(failures)} unanswered, {len(exceptions)} exceptions",
        duplicated=f"{len(stray)} stray pings",
        outcome=f"p95 per call {p95([t for s in timings.values() for t in s]) * 1000:.0f} ms, "
        f"worst {worst * 1000:.0f} ms; {stats['subscribed']} fuzzed keywords accepted and "
        f"removed again; {stats['alerted']} alerts for fuzzed keywords pinged only their "
        "subscriber",
    )
    assert failures == []
    assert exceptions == []
    assert stray == []


async def _alerts_for_fuzzed_keywords(world, digest_dir, values, stats) -> None:
    """Subscribe members to accepted fuzzed keywords, post a day using them, check pings."""
    accepted: dict[int, str] = {}
    for value in values:
        if len(accepted) == len(world.members):
            break
        if len(value) > 60 or "\x00" in value:
            continue
        member = world.members[len(accepted)]
        result = await member.slash(world.channel, "subscribe", keyword=value)
        if "Subscribed to" in result.response.content:
            accepted[member.id] = value
    papers = [
        (
            f"Hostile Title {index}: {' '.join(value.split())} <@{world.admin.id}> @everyone",
            f"An abstract about {' '.join(value.split())}. It has several sentences. "
            "Another one here for the parser." * 3,
        )
        for index, value in enumerate(accepted.values())
    ]
    write_papers(digest_dir, "Mar 15, 2026", papers)
    await world.env.advance_time(world.settings.poll_seconds + 1)
    (thread,) = [t for t in world.channel.threads if t.name == "Papers 2026-03-15"]
    alerted = []
    for message in user_messages(thread):
        users, roles, everyone = pings(world.env, message)
        if users or roles or everyone:
            assert roles == [] and not everyone and len(users) == 1
            alerted.append(users[0])
    stats["alerted"] = len(alerted)
    assert sorted(alerted) == sorted(accepted), (accepted, alerted)


async def test_autocomplete_and_commands_in_direct_messages_survive_fuzzing(world, request):
    dm_user = world.env.create_user("dana")
    values = fuzz_values(40, seed=11)
    answered_count = total = 0
    for value in values:
        for command, option in (("search", "query"), ("paper", "title"), ("subscribe", "keyword")):
            result = await dm_user.slash(command, **as_typed(world.bot, command, {option: value}))
            total += 1
            answered_count += answered(result)
        choices = await dm_user.autocomplete("unsubscribe", "keyword", value)
        assert choices == []
    record(
        request,
        "Fuzzed options in direct messages",
        order=21,
        inputs=f"{len(values)} values × /search, /paper, /subscribe, /unsubscribe autocomplete",
        faults="bad input only",
        delivered=f"{answered_count}/{total} answered",
        lost=f"{total - answered_count}",
        duplicated="0 pings",
        outcome="server-only commands explain they belong to a server",
    )
    assert answered_count == total
    assert all_pings(world.env) == []
    raise_unexpected_errors(world.env)


def test_safe_never_leaves_a_live_mention() -> None:
    for value in [*ATOMS, *fuzz_values(300, seed=3)]:
        shown = render.safe(value)
        assert "@everyone" not in shown and "@here" not in shown
        assert "<@" not in shown and "<#" not in shown
