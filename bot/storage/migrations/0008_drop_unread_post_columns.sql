-- Nothing reads how many messages a post sent or when it finished (post_messages and
-- the status say it all): stop keeping them.
ALTER TABLE posts DROP COLUMN messages_sent;
ALTER TABLE posts DROP COLUMN finished_at;
