"""`make demo`: the real paperboy bot in SimCord, shown in a local browser page.

No token and no network: SimCord is an in-process Discord, and its browser preview
listens on 127.0.0.1 only. `demo.world` builds the demo server, `python -m demo` runs
it until Ctrl-C, and `python -m demo.screenshots` renders the README's pictures from
the same world.
"""
