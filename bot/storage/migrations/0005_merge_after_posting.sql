-- Index merging moves out of commits into SearchIndex.tidy (see FTS_NORMAL in
-- bot/storage/search_index.py). Up to version 4, automerge 0 meant that a bulk load
-- was interrupted; the `bulk_load` meta mark says so from now on.
INSERT OR IGNORE INTO meta(key, value)
    SELECT 'bulk_load', 'interrupted' FROM paper_fts_config WHERE k = 'automerge' AND v = 0;
INSERT INTO paper_fts(paper_fts, rank) VALUES ('automerge', 0);
INSERT INTO title_fts(title_fts, rank) VALUES ('automerge', 0);
