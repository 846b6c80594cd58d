"""paperboy: daily ML paper digests in Discord.

`bot.client.create_bot(settings)` builds the bot; `bot.cli.main` is the command line.
"""
