-- Where each server's digests go, and the progress of every day's post.
CREATE TABLE guild_channels (
    guild_id INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL,
    since_day TEXT,
    configured_by INTEGER,
    configured_at TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    retry_after TEXT,
    last_error TEXT
);
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    channel_id INTEGER NOT NULL,
    requested_by INTEGER,
    header_message_id INTEGER,
    thread_id INTEGER,
    target_id INTEGER,
    papers_sent INTEGER NOT NULL DEFAULT 0,
    messages_sent INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'posted')),
    error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE UNIQUE INDEX posts_automatic ON posts(guild_id, day) WHERE requested_by IS NULL;
CREATE INDEX posts_by_guild ON posts(guild_id, status, day);
CREATE TABLE post_messages (
    post_id INTEGER NOT NULL REFERENCES posts(id),
    first_paper INTEGER NOT NULL,
    paper_count INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (post_id, first_paper)
);
