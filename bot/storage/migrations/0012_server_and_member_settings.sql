-- Each server's posting settings: the local time days are posted at and its zone (no
-- time: as soon as a day is ready), how many papers a post shows (no number: all), a
-- role its header pings, and whether automatic posts are paused.
ALTER TABLE guild_channels ADD COLUMN post_time TEXT;
ALTER TABLE guild_channels ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE guild_channels ADD COLUMN top_papers INTEGER;
ALTER TABLE guild_channels ADD COLUMN ping_role_id INTEGER;
ALTER TABLE guild_channels ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
-- When an automatic post may start (UTC ISO time; NULL: at once), and the ids of the
-- papers a post shows, chosen when it starts (a server's top N; NULL: the whole day).
ALTER TABLE posts ADD COLUMN due_at TEXT;
ALTER TABLE posts ADD COLUMN paper_ids TEXT;
-- How many papers the post's last closing line counted (NULL: none sent yet): a day
-- that grows gets a new one only when the post shows more papers.
ALTER TABLE posts ADD COLUMN closing_papers INTEGER;
-- Where a member's alerts go in a server (the day's thread, a direct message, or
-- nowhere), and when a direct message to them last failed.
CREATE TABLE member_settings (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    alerts TEXT NOT NULL DEFAULT 'thread' CHECK (alerts IN ('thread', 'dm', 'off')),
    dm_failed_at TEXT,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;
-- What a subscription follows: words in titles and abstracts, or an author's name.
ALTER TABLE subscriptions ADD COLUMN kind TEXT NOT NULL DEFAULT 'keyword'
    CHECK (kind IN ('keyword', 'author'));
