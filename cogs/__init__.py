"""Discord-facing features; each module is one extension (see bot.client.EXTENSIONS)."""
