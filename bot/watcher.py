"""The digest folder: which files are there, and which are ready to (re)ingest."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from pathlib import Path

# A file modified this recently may still be being written (see FolderWatcher).
SETTLE_SECONDS = 1.0


def digest_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, and the visible files inside the folders named, sorted by name."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    child
                    for child in path.iterdir()
                    if child.is_file() and not child.name.startswith(".")
                )
            )
        else:
            found.append(path)
    return found


def file_signatures(files: list[Path]) -> dict[Path, tuple[int, int]]:
    """(size, mtime_ns) of each file that can be looked at (the parser reports the rest)."""
    signatures = {}
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue
        signatures[path] = (stat.st_size, stat.st_mtime_ns)
    return signatures


class FolderWatcher:
    """Decides which files in the digest folder are ready to (re)ingest.

    A file is ready once two looks at it, at least `settle_seconds` apart (the
    previous pass, or a short wait within this one), see the same size and
    modification time, so a digest still being written by a scraper is not taken
    for a short day. A later, longer version is ingested again as additions.
    """

    def __init__(self, folder: Path, settle_seconds: float = SETTLE_SECONDS) -> None:
        self.folder = folder
        self.settle_seconds = settle_seconds
        self._seen: dict[Path, tuple[int, int]] = {}
        self._seen_at = float("-inf")  # time.time() of the look that filled _seen
        self._done: dict[Path, tuple[int, int]] = {}

    async def ready(self) -> list[Path]:
        """Files new or changed since they were last ingested, and settled."""
        first = self._scan()
        changed = {path: sig for path, sig in first.items() if self._done.get(path) != sig}
        now = time.time()
        # The previous pass's look proves nothing if it was less than settle_seconds ago.
        recent = now - self._seen_at < self.settle_seconds
        unproven = [path for path, sig in changed.items() if recent or self._seen.get(path) != sig]
        if any(now - changed[path][1] / 1e9 < self.settle_seconds for path in unproven):
            await asyncio.sleep(self.settle_seconds)
            second = self._scan()
        else:
            second = first
        self._seen, self._seen_at = second, time.time()
        return [path for path, sig in changed.items() if second.get(path) == sig]

    def _scan(self) -> dict[Path, tuple[int, int]]:
        if not self.folder.is_dir():
            return {}
        return file_signatures(digest_files([self.folder]))

    def mark_done(self, path: Path) -> None:
        """Remember the version of `path` just ingested (as last seen)."""
        signature = self._seen.get(path) or self._scan().get(path)
        if signature is not None:
            self._done[path] = signature

    def start(self) -> list[Path]:
        """At startup: the files settled now (unchanged for `settle_seconds`), in name
        order, which count as ingested from here on; a file still being written is left
        for `ready`, as in any pass."""
        scan, now = self._scan(), time.time()
        self._seen, self._seen_at = scan, now
        self._done = {
            path: sig for path, sig in scan.items() if now - sig[1] / 1e9 >= self.settle_seconds
        }
        return sorted(self._done)
