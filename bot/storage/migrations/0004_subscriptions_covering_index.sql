-- A covering index, so a day's alerts read subscribers grouped by keyword and exclude
-- straight from the index.
DROP INDEX subscriptions_by_keyword;
DROP INDEX subscriptions_by_length;
CREATE INDEX subscriptions_by_keyword ON subscriptions(guild_id, keyword_key, exclude, user_id);
