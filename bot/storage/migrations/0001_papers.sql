-- Papers, their appearances on days, and the digest files they came from.
CREATE TABLE papers (
    id INTEGER PRIMARY KEY,
    title_key TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    abstract TEXT NOT NULL,
    links TEXT NOT NULL DEFAULT '[]',
    first_day TEXT NOT NULL
);
CREATE TABLE appearances (
    day TEXT NOT NULL,
    position INTEGER NOT NULL,
    paper_id INTEGER NOT NULL REFERENCES papers(id),
    PRIMARY KEY (day, position),
    UNIQUE (day, paper_id)
);
CREATE INDEX appearances_by_paper ON appearances(paper_id, day);
CREATE TABLE digests (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    day TEXT NOT NULL,
    content_hash TEXT NOT NULL UNIQUE,
    paper_count INTEGER NOT NULL,
    ingested_at TEXT NOT NULL
);
-- Stemmed terms of title and abstract (bot.text.terms); the text lives in papers.
CREATE VIRTUAL TABLE paper_fts USING fts5(
    title, abstract, content='', tokenize='unicode61 remove_diacritics 0'
);
CREATE VIRTUAL TABLE paper_vocab USING fts5vocab(paper_fts, 'row');
-- Raw title words with prefix indexes, for autocomplete as the user types.
CREATE VIRTUAL TABLE title_fts USING fts5(
    title, content='papers', content_rowid='id', prefix='2 3'
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
