-- Members' keyword subscriptions, and which papers each member was alerted to.
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    label TEXT NOT NULL,
    keyword_key TEXT NOT NULL,
    term_count INTEGER NOT NULL,
    exclude TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (guild_id, user_id, keyword_key)
);
CREATE INDEX subscriptions_by_keyword ON subscriptions(guild_id, keyword_key);
CREATE INDEX subscriptions_by_length ON subscriptions(guild_id, term_count);
CREATE TABLE alerts_sent (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    paper_id INTEGER NOT NULL,
    post_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id, paper_id)
) WITHOUT ROWID;
