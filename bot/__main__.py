"""`python -m bot` runs the bot, like `paperboy run`."""

import sys

from bot.cli import main

sys.exit(main(["run", *sys.argv[1:]]))
