-- The message a post is about to send (a JSON slot), from before the send until its
-- record: a post that finds it set after a restart looks for that message in Discord
-- instead of sending it again. And how many papers the day's header names, so a day
-- that grows gets its header edited.
ALTER TABLE posts ADD COLUMN sending TEXT;
ALTER TABLE posts ADD COLUMN header_papers INTEGER;
-- Where each message of a post went (its thread, or the channel after the thread
-- refused), so alerts can link to the papers' cards. NULL for older messages.
ALTER TABLE post_messages ADD COLUMN channel_id INTEGER;
-- Days a server's automatic posts pass over, and why: part of a burst of many days at
-- once ('burst'), or older than a day already posted ('late'). Never posted
-- automatically (an admin can still /post them); /setup names them. 'paused': it came
-- while the server's automatic posts were paused.
CREATE TABLE skipped_days (
    guild_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('burst', 'late', 'paused')),
    newer_day TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, day)
) WITHOUT ROWID;
