-- Papers per index term as of paper id `term_counts_upto` (meta), so a start reads
-- this instead of counting the whole index, then counts only newer papers. Papers are
-- never changed or removed; a migration that re-indexes them must delete both the rows
-- and the meta key (the next start then counts the index).
CREATE TABLE term_counts (term TEXT PRIMARY KEY, papers INTEGER NOT NULL) WITHOUT ROWID;
