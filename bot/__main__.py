"""`python -m bot` runs the bot, like `paperboy run`."""

import sys

from bot.cli import main

# Guarded: a bulk ingest's worker processes (spawned) import this module again.
if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:]]))
