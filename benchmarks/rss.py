"""Resident memory of a fresh process that opens the database and loads the catalog.

Run as `python -m benchmarks.rss DATABASE`: prints one JSON line with VmRSS and VmHWM
(peak) in kB, after the imports and after `Database.open` + `Catalog.load`.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from benchmarks.corpus import ROOT
from benchmarks.stats import Sample


def status_kb(field: str) -> int:
    """A `/proc/self/status` field such as VmRSS, in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


async def _load(path: Path) -> dict[str, int]:
    from bot.search import Catalog
    from bot.storage import Database

    imported = status_kb("VmRSS")
    database = await Database.open(path)
    catalog = await Catalog.load(database)
    loaded = {"imports_kb": imported, "rss_kb": status_kb("VmRSS"), "hwm_kb": status_kb("VmHWM")}
    loaded["terms"] = len(catalog.vocabulary)
    await database.close()
    return loaded


def measure(path: Path, runs: int) -> tuple[Sample, Sample, int]:
    """(RSS after load in MB, peak RSS in MB, vocabulary terms), each from a clean process."""
    rss, peak, terms = [], [], 0
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, "-m", "benchmarks.rss", str(path)],
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout
        result = json.loads(output.strip().splitlines()[-1])
        rss.append(result["rss_kb"] / 1024)
        peak.append(result["hwm_kb"] / 1024)
        terms = result["terms"]
    return Sample(tuple(rss)), Sample(tuple(peak)), terms


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_load(Path(sys.argv[1])))))
