"""`python -m demo` (`make demo`): the demo world in a browser page until Ctrl-C.

Prints one line, the page's address, and runs until SIGINT or SIGTERM (or the page's
"End preview session"), then exits 0 having removed its temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

import discord
import simcord

from demo.world import BACK, OPEN_THREAD, open_world

EXIT_PORT_TAKEN = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m demo",
        description="Run paperboy in a simulated Discord shown in your browser (no token).",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 for the page (default: any free)"
    )
    parser.add_argument(
        "--release-after",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="when the sample day arrives, in seconds after start (default: 3)",
    )
    args = parser.parse_args(argv)
    discord.utils.setup_logging(level=logging.WARNING)
    discord.VoiceClient.warn_nacl = False  # a text-only bot: no voice, no PyNaCl warning
    try:
        return asyncio.run(serve(args.port, args.release_after))
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers were installed
        return 0


async def serve(port: int, release_after: float) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with open_world(port=port) as world:
            print(
                f"paperboy demo: {world.url}  (type `{OPEN_THREAD}` in #papers to open the "
                f"day's thread, `{BACK}` to return; Ctrl-C stops)",
                flush=True,
            )
            await world.run(stop, release_after=release_after)
    except simcord.SetupError as error:
        if "could not bind port" not in str(error):
            raise
        print(
            f"paperboy demo: port {port} is taken; choose another (make demo DEMO_PORT=8766)",
            file=sys.stderr,
        )
        return EXIT_PORT_TAKEN
    return 0


if __name__ == "__main__":
    sys.exit(main())
