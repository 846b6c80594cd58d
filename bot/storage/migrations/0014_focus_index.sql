-- What each paper is about, for /search candidates over the whole archive: its title's
-- terms and the terms its abstract uses at least twice (stemmed, stopwords left out;
-- bot.text.focus_terms). A paper's subject recurs in its abstract, so these doclists
-- are a fraction of paper_fts's and BM25 over them stays cheap at a million papers.
-- Papers up to id `focus_upto` (meta) are indexed: new papers in the transaction that
-- stores them, papers stored before this migration by the next start (Catalog.reload).
CREATE VIRTUAL TABLE focus_fts USING fts5(
    title, repeated, content='', tokenize='unicode61 remove_diacritics 0'
);
CREATE VIRTUAL TABLE focus_vocab USING fts5vocab(focus_fts, 'row');
INSERT INTO meta(key, value) VALUES ('focus_upto', '0');
-- Merged after posting, as the other indexes are (migration 5; FTS_NORMAL).
INSERT INTO focus_fts(focus_fts, rank) VALUES ('automerge', 0);
