"""`python -m demo.screenshots` (`make screenshots`): the README's pictures, from the demo.

The same world as `make demo`, after the sample day arrived; SimCord's preview renders
each picture in a headless Chromium driven by Playwright. SimCord launches Playwright's
own Chromium, which is downloaded separately; this uses the system's instead (Debian:
`apt-get install chromium`), named by `--chromium` or found on PATH.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = (
    "make screenshots needs Chromium and found none ({tried}). Install it "
    "(Debian/Ubuntu: sudo apt-get install chromium) or name it: "
    "make screenshots CHROMIUM=/path/to/chromium"
)
#: The paper the card shows: one of the sample day's, with a project page to link.
CARD_TITLE = "Fine-Grained Human Feedback Gives Better Rewards for Language Model Training"
SEARCH_QUERY = "human feedback"


@dataclass(frozen=True)
class Shot:
    """One picture: where it goes (from the project root), what it shows, and how: a
    "surface" is one message, a "viewport" the page (`width` x `height` pixels)."""

    path: str
    shows: str
    width: int = 600
    height: int = 1600  # a surface shows only what fits in the page
    mode: str = "surface"


DAY = Shot("docs/demo-day.png", "the day's header in #papers, with its thread", width=800)
THREAD = Shot("docs/demo-thread.png", "the day's thread", height=860, mode="viewport")
CARD = Shot("docs/demo-card.png", "a card: /paper with its link buttons")
SEARCH = Shot("docs/demo-search.png", "/search with Previous / Next")
ALERT = Shot("docs/demo-alert.png", "the alert that mentions you", 800, 480, "viewport")
SETUP = Shot("docs/demo-setup.png", "/setup's status", width=800)
SHOTS = (DAY, THREAD, CARD, SEARCH, ALERT, SETUP)


def find_chromium(named: str | None = None) -> str | None:
    """The Chromium to use: the one named (a path or a command), else the first on PATH."""
    if named:
        return shutil.which(named) or (named if os.access(named, os.X_OK) else None)
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def use_system_chromium(executable: str) -> None:
    """Make SimCord's capture launch `executable` rather than Playwright's own build."""
    from playwright.async_api import async_playwright
    from simcord.preview import _capture

    async def ensure_browser(self: Any) -> Any:
        if self._browser is None:
            self._playwright = await async_playwright().start()
            self._browser = await self._playwright.chromium.launch(
                executable_path=executable, args=["--no-sandbox"], headless=True
            )
        return self._browser

    _capture.ManagedCapture._ensure_browser = ensure_browser  # type: ignore[method-assign]


async def capture(root: Path = ROOT) -> list[Path]:
    """Render every shot under `root`; returns the files written."""
    from demo.world import open_world

    written: list[Path] = []
    async with open_world() as world:
        await world.release_sample_day()
        you, channel = world.you, world.channel

        async def shoot(shot: Shot, target: Any) -> None:
            assert world.preview is not None
            path = root / shot.path
            report = await world.preview.screenshot(
                path, viewer=you, target=target, mode=shot.mode, viewport=(shot.width, shot.height)
            )
            if not report.complete:
                problems = [item.get("message") for item in report.diagnostics]
                print(f"{shot.path}: rendered incompletely: {problems}", file=sys.stderr)
            written.append(path)

        header = next(m for m in channel.history() if m.content.startswith("📰"))
        await shoot(DAY, header)
        await shoot(SEARCH, await you.slash(channel, "search", query=SEARCH_QUERY))
        await shoot(CARD, await you.slash(channel, "paper", title=CARD_TITLE))
        await shoot(SETUP, await you.slash(channel, "setup"))

        thread = world.newest_thread()
        assert thread is not None
        await world.show(thread)
        messages = thread.history()
        await shoot(THREAD, messages[0])
        alert = next(m for m in messages if f"<@{you.id}>" in m.content)
        await shoot(ALERT, alert)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.screenshots", description=__doc__)
    parser.add_argument("--chromium", help="Chromium to use (default: the first on PATH)")
    args = parser.parse_args(argv)
    executable = find_chromium(args.chromium)
    if executable is None:
        tried = args.chromium or ", ".join(BROWSERS)
        print(INSTALL_HINT.format(tried=tried), file=sys.stderr)
        return 2
    try:
        use_system_chromium(executable)
    except ImportError:
        print("make screenshots needs Playwright: pip install -e '.[screenshots]'", file=sys.stderr)
        return 2
    for path in asyncio.run(capture()):
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
