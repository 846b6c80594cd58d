"""Hub days in the digest folder: `hf-YYYY-MM-DD.json` files and the empty-day record.

Every file is written under a temporary dot-name in the same folder and renamed into
place, so the folder watcher (which skips dot-files) never reads half a file. Days the
Hub answered `[]` for are not digests; they are remembered in `.hf-empty-days.json`
so that neither the bot nor a re-run backfill asks for them again and again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

FILE_NAME = re.compile(r"hf-(\d{4}-\d{2}-\d{2})\.json")
EMPTY_DAYS_FILE = ".hf-empty-days.json"
# Only a file's first bytes are read for its `fetched_at` (written before the items).
_HEAD_BYTES = 4096


def day_path(folder: Path, day: dt.date) -> Path:
    return folder / f"hf-{day.isoformat()}.json"


def day_file_bytes(
    day: dt.date, source: str, fetched_at: dt.datetime, items: Sequence[Any]
) -> bytes:
    """The file for a fetched day: the header fields, then one item per line."""
    head = {"day": day.isoformat(), "source": source, "fetched_at": iso(fetched_at)}
    opening = json.dumps(head, ensure_ascii=False)[:-1] + ', "items": ['
    lines = ",\n".join(json.dumps(item, ensure_ascii=False) for item in items)
    return f"{opening}\n{lines}\n]}}\n".encode()


def write_day(
    folder: Path, day: dt.date, source: str, fetched_at: dt.datetime, items: Sequence[Any]
) -> Path:
    """Write `hf-YYYY-MM-DD.json` whole (atomically replacing an older version)."""
    path = day_path(folder, day)
    write_atomically(path, day_file_bytes(day, source, fetched_at, items))
    return path


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to a temporary dot-file beside `path`, then rename it to `path`."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed before the rename)
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    temporary = Path(handle.name)
    try:
        with handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(0o644)  # a digest file, not a secret (mkstemp makes 0600)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def scan_days(folder: Path, recent_from: dt.date) -> dict[dt.date, dt.datetime | None]:
    """Every day written in `folder`; the `fetched_at` of those from `recent_from` on
    (the only ones the planner asks about), None for the older or unreadable ones."""
    days: dict[dt.date, dt.datetime | None] = {}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return days
    for entry in entries:
        match = FILE_NAME.fullmatch(entry.name)
        day = _day(match.group(1)) if match else None
        if day is None or not entry.is_file():
            continue
        days[day] = read_fetched_at(Path(entry.path)) if day >= recent_from else None
    return days


def read_fetched_at(path: Path) -> dt.datetime | None:
    """The `fetched_at` of a day file; None when the file cannot tell."""
    try:
        with path.open("rb") as file:
            head = file.read(_HEAD_BYTES)
    except OSError:
        return None
    match = re.search(rb'"fetched_at"\s*:\s*"([^"]{1,64})"', head)
    return moment(match.group(1).decode("ascii", "replace")) if match else None


def load_empty_days(folder: Path) -> dict[dt.date, dt.datetime]:
    """Days the Hub answered `[]` for, with when it last did."""
    try:
        document = json.loads((folder / EMPTY_DAYS_FILE).read_bytes())
    except (OSError, ValueError):
        return {}
    days = document.get("days") if isinstance(document, dict) else None
    if not isinstance(days, dict):
        return {}
    found: dict[dt.date, dt.datetime] = {}
    for key, value in days.items():
        day, at = _day(key), moment(value)
        if day is not None and at is not None:
            found[day] = at
    return found


def save_empty_days(
    folder: Path, found: Mapping[dt.date, dt.datetime], no_longer: Iterable[dt.date] = ()
) -> None:
    """Add `found` to the record (another process may have added days meanwhile) and
    drop the `no_longer` empty days."""
    days = load_empty_days(folder)
    for day, at in found.items():
        days[day] = max(at, days.get(day, at))
    for day in no_longer:
        days.pop(day, None)
    document = {
        "note": "Days the Hugging Face Hub listed no papers for (written by paperboy).",
        "days": {day.isoformat(): iso(days[day]) for day in sorted(days)},
    }
    write_atomically(folder / EMPTY_DAYS_FILE, (json.dumps(document, indent=1) + "\n").encode())


def forget_empty_day(folder: Path, day: dt.date) -> None:
    """Drop `day` from the empty-day record, if it is there (it has papers now)."""
    if day in load_empty_days(folder):
        save_empty_days(folder, {}, no_longer=[day])


def iso(moment_: dt.datetime) -> str:
    """`2026-03-15T02:00:00Z`: UTC, to the second."""
    return moment_.astimezone(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def moment(value: object) -> dt.datetime | None:
    """An aware datetime from ISO text (naive taken as UTC); None otherwise."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
