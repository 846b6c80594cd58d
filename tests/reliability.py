"""Reliability tests' shared parts: budgets, a Discord request log with faults, and the
recorder that turns each test's measured outcome into a row of RELIABILITY.md.

Each reliability test calls `record(...)` with what it tried and what happened; the
session-finish hook in tests/conftest.py calls `write_report()`, which, under `make
reliability` (PAPERBOY_RELIABILITY_REPORT=1) or `make soak`, merges this run's rows into
RELIABILITY.md (rows from tests that did not run this time are kept, so running one test
file updates only its rows). Under `make soak` (PAPERBOY_SOAK=1) the rows go to a separate
table, so the committed figures stay those of the normal budgets.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import os
import re
import shlex
import sqlite3
import statistics
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "RELIABILITY.md"
_DATA_START = "<!-- reliability-data"
_DATA_END = "-->"


def soak() -> bool:
    """Whether this run is `make soak` (bigger budgets everywhere)."""
    return os.environ.get("PAPERBOY_SOAK", "") not in ("", "0")


def writes_report() -> bool:
    """Whether this run rewrites RELIABILITY.md (`make reliability`, `make soak`), not
    `make test`, which must leave the working tree as it found it."""
    return soak() or os.environ.get("PAPERBOY_RELIABILITY_REPORT", "") not in ("", "0")


def budget(normal: int, soaked: int) -> int:
    """How many inputs a bounded test tries: `normal` in `make test`, more in `make soak`."""
    return soaked if soak() else normal


def p95(samples: list[float]) -> float:
    if len(samples) < 2:
        return samples[0] if samples else 0.0
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


# -- rows ---------------------------------------------------------------------------


@dataclass
class Row:
    key: str
    order: int
    scenario: str
    inputs: str
    faults: str
    delivered: str
    lost: str
    duplicated: str
    outcome: str
    command: str
    status: str = "not run"
    soak: bool = False
    recorded: str = ""


_rows: dict[str, Row] = {}
_nodeids: dict[str, list[str]] = {}


def _reproduce(nodeid: str) -> str:
    prefix = "PAPERBOY_SOAK=1 " if soak() else "PAPERBOY_RELIABILITY_REPORT=1 "
    return f"{prefix}.venv/bin/python -m pytest {shlex.quote(nodeid)}"


def record(
    request,
    scenario: str,
    *,
    order: int,
    inputs: object,
    faults: object = "none",
    delivered: object = "—",
    lost: object = 0,
    duplicated: object = 0,
    outcome: str,
    key: str | None = None,
    target: str | None = None,
) -> Row:
    """Record one table row for the running test (`request` is pytest's fixture).

    Rows with the same `key` replace each other (parametrised tests can keep one row
    with running totals); `target` is what the reproduce command runs (default: the test).
    """
    nodeid = request.node.nodeid
    key = key or nodeid
    if soak():
        key = "soak:" + key
    row = Row(
        key=key,
        order=order,
        scenario=scenario,
        inputs=str(inputs),
        faults=str(faults),
        delivered=str(delivered),
        lost=str(lost),
        duplicated=str(duplicated),
        outcome=outcome,
        command=_reproduce(target or nodeid),
        status="running",
        soak=soak(),
        recorded=dt.date.today().isoformat(),
    )
    _rows[key] = row
    _nodeids.setdefault(nodeid, []).append(key)
    return row


def mark_finished(nodeid: str, outcome: str) -> None:
    """Called from conftest's pytest_runtest_logreport: marks the test's rows passed/failed."""
    for key in _nodeids.get(nodeid, ()):
        row = _rows[key]
        if outcome == "failed" or row.status in ("running", "passed"):
            row.status = outcome


def _load(path: Path) -> dict[str, Row]:
    if not path.is_file():
        return {}
    content = path.read_text(encoding="utf-8")
    start = content.find(_DATA_START)
    if start < 0:
        return {}
    end = content.find(_DATA_END, start)
    try:
        data = json.loads(content[start + len(_DATA_START) : end])
        return {item["key"]: Row(**item) for item in data}
    except (ValueError, TypeError, KeyError):
        return {}


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _table(rows: list[Row]) -> list[str]:
    lines = [
        "| # | Scenario | Inputs tried | Faults injected | Delivered | Lost | Duplicated "
        "| Outcome | Test | Reproduce |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for number, row in enumerate(rows, start=1):
        cells = [
            str(number),
            row.scenario,
            row.inputs,
            row.faults,
            row.delivered,
            row.lost,
            row.duplicated,
            row.outcome,
            row.status,
            f"`{row.command}`",
        ]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return lines


def write_report(path: Path = REPORT) -> bool:
    """Merge this run's rows into RELIABILITY.md; False when no row was recorded, or
    when this run does not write the report (see `writes_report`)."""
    if not _rows or not writes_report():
        return False
    rows = _load(path)
    rows.update(_rows)
    ordered = sorted(rows.values(), key=lambda row: (row.order, row.scenario, row.key))
    regular = [row for row in ordered if not row.soak]
    soaked = [row for row in ordered if row.soak]
    lines = [
        "# Reliability",
        "",
        "Generated by the reliability tests (`tests/test_reliability_*.py`, recorder in",
        "`tests/reliability.py`); do not edit by hand. Every row below is written by the test",
        "named in its *Reproduce* command, with the figures that run measured. `make",
        "reliability` runs those tests and rewrites their rows; `make test` runs them too but",
        "writes nothing.",
        "",
        "*Delivered / Lost / Duplicated* count what the scenario is about: papers and alerts",
        "accepted by Discord for posting scenarios, answered interactions for command fuzzing,",
        "stored files or subscriptions for ingest and load. Timings are wall-clock on the",
        "machine that ran the tests.",
        "",
        "## `make test`",
        "",
        *_table(regular),
        "",
    ]
    if soaked:
        lines += [
            "## `make soak` (PAPERBOY_SOAK=1, bigger budgets)",
            "",
            *_table(soaked),
            "",
        ]
    data = json.dumps([asdict(row) for row in ordered], indent=0, ensure_ascii=False)
    lines += [_DATA_START, data, _DATA_END, ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return True


# -- Discord requests, with faults ----------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    json: object
    ok: bool
    status: int | None = None
    guild_id: int | None = None


@dataclass
class _Rule:
    method: str
    pattern: str
    guild_id: int | None
    decide: Callable[[int], int | None]
    after: Callable[[], None] | None = None
    count: int = 0
    code: int | None = None


def _guild_of(backend, path: str) -> int | None:
    match = re.match(r"/channels/(\d+)", path)
    if not match:
        return None
    channel = backend.channels.get(int(match.group(1)))
    return getattr(channel, "guild_id", None)


@dataclass
class DiscordLog:
    """Every REST call the bot makes under SimCord, whether it succeeded, and faults.

    `fail(method, pattern, nth, ...)` fails only the n-th matching call (or the n-th to
    `until`-th), optionally counting only calls into one server's channels, like
    tests/simbot.py fail_nth but several at once; `after(...)` runs an action once the
    n-th matching call succeeded (e.g. delete the channel). Patches SimCord's internal
    router (simcord 3.2).
    """

    requests: list[Request] = field(default_factory=list)
    rules: list[_Rule] = field(default_factory=list)
    injected: int = 0

    def fail(
        self,
        method: str,
        pattern: str,
        nth: int,
        *,
        status: int = 500,
        until: int | None = None,
        guild_id: int | None = None,
        code: int | None = None,
    ) -> None:
        """Fail the nth (to `until`-th) matching call with `status` and Discord's JSON
        error `code` (default: 50013 for a 403, else 0)."""
        last = nth if until is None else until
        rule = _Rule(
            method, pattern, guild_id, lambda count: status if nth <= count <= last else None
        )
        rule.code = code
        self.rules.append(rule)

    def after(
        self, method: str, pattern: str, nth: int, action: Callable[[], None], *, guild_id=None
    ) -> None:
        rule = _Rule(method, pattern, guild_id, lambda count: None)
        rule.after = lambda: action() if rule.count == nth else None
        self.rules.append(rule)

    def clear(self) -> None:
        self.rules.clear()

    def install(self, monkeypatch) -> DiscordLog:
        from simcord.backend.errors import BackendError
        from simcord.http import router

        original = router.dispatch

        def dispatch(backend, method, path, **kwargs):
            status = None
            code = None
            matched = []
            for rule in list(self.rules):
                if rule.method not in (method, "*") or not fnmatch.fnmatch(path, rule.pattern):
                    continue
                if rule.guild_id is not None and _guild_of(backend, path) != rule.guild_id:
                    continue
                rule.count += 1
                matched.append(rule)
                if status is None and (status := rule.decide(rule.count)) is not None:
                    code = rule.code
            entry = Request(
                method, path, kwargs.get("json"), False, status, _guild_of(backend, path)
            )
            self.requests.append(entry)
            if status is not None:
                self.injected += 1
                backend.http_requests.append(_log_entry(method, path, kwargs))
                default = 50013 if status == 403 else 0
                raise BackendError(status, default if code is None else code, f"injected {status}")
            try:
                result = original(backend, method, path, **kwargs)
            except BaseException as error:
                entry.status = getattr(error, "status", None)
                raise
            entry.ok = True
            for rule in matched:
                if rule.after is not None:
                    rule.after()
            return result

        monkeypatch.setattr(router, "dispatch", dispatch)
        return self

    # What reached Discord.

    def sent_messages(self, guild_id: int | None = None) -> list[Request]:
        """Accepted message POSTs, optionally only those into one server's channels."""
        return [
            r
            for r in self.requests
            if r.ok
            and r.method == "POST"
            and re.fullmatch(r"/channels/\d+/messages", r.path)
            and isinstance(r.json, dict)
            and (guild_id is None or r.guild_id == guild_id)
        ]

    def delivered_titles(self, guild_id: int | None = None) -> list[str]:
        """Paper titles in every accepted message, in order ("k. " rank stripped)."""
        return [
            embed["title"].split(". ", 1)[1]
            for message in self.sent_messages(guild_id)
            for embed in message.json.get("embeds") or []
            if embed.get("title")
        ]

    def delivered_alerts(self, guild_id: int | None = None) -> list[tuple[int, str]]:
        """(pinged user, content) of every accepted alert message."""
        alerts = []
        for message in self.sent_messages(guild_id):
            content = message.json.get("content") or ""
            if "matching your subscriptions" in content:
                users = (message.json.get("allowed_mentions") or {}).get("users") or []
                alerts.append((int(users[0]) if users else 0, content))
        return alerts


def _log_entry(method: str, path: str, kwargs: dict):
    from simcord.types import HttpLogEntry

    return HttpLogEntry(method, path, kwargs.get("params") or {}, kwargs.get("json"), None)


def delivery_counts(expected: list[str], delivered: list[str]) -> tuple[int, int, int]:
    """(delivered once, lost, extra copies) of `expected` items among `delivered`."""
    seen: dict[str, int] = {}
    for item in delivered:
        seen[item] = seen.get(item, 0) + 1
    once = sum(1 for item in expected if seen.get(item, 0) >= 1)
    lost = sum(1 for item in expected if seen.get(item, 0) == 0)
    extra = sum(max(count - 1, 0) for count in seen.values())
    extra += sum(count for item, count in seen.items() if item not in set(expected))
    return once, lost, extra


def fast_settle(monkeypatch) -> None:
    """Make SimCord re-check for quiet every 2 ms instead of 50 ms (simcord 3.2 internal).

    After a private error reply SimCord does not at once recognise the posting loop's
    sleep as parked and polls again after its `idle` interval; at 50 ms that interval is
    most of the cost of a fuzzed command. Settling keeps the same deadline and rules.
    """
    from simcord import env as simcord_env

    original = simcord_env.Env._settle_internal

    async def settle(self, *, idle: float = 0.05, **options):
        return await original(self, idle=min(idle, 0.002), **options)

    monkeypatch.setattr(simcord_env.Env, "_settle_internal", settle)


class ExternalLock:
    """Another process's write lock on the database (BEGIN EXCLUSIVE), held in a thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.release = threading.Event()
        self.held = threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        try:
            connection.execute("BEGIN EXCLUSIVE")
            self.held.set()
            self.release.wait(30)
            connection.execute("COMMIT")
        finally:
            connection.close()

    def __enter__(self) -> ExternalLock:
        self.thread.start()
        assert self.held.wait(10)
        return self

    def __exit__(self, *exc_info) -> None:
        self.release.set()
        self.thread.join(10)
