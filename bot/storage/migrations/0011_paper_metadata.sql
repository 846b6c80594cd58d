-- What a Hugging Face Daily Papers day tells about a paper beyond its text (issue 16).
-- Lists (authors in order, hidden ones left out; the Hub's keywords) are JSON arrays.
-- Text digests leave every column at its default. `meta_fetched_at` is when the Hub
-- data last stored was fetched: an older file ingested later does not overwrite it.
ALTER TABLE papers ADD COLUMN arxiv_id TEXT;
ALTER TABLE papers ADD COLUMN authors TEXT NOT NULL DEFAULT '[]';
ALTER TABLE papers ADD COLUMN upvotes INTEGER;
ALTER TABLE papers ADD COLUMN comments INTEGER;
ALTER TABLE papers ADD COLUMN github_url TEXT;
ALTER TABLE papers ADD COLUMN github_stars INTEGER;
ALTER TABLE papers ADD COLUMN project_url TEXT;
ALTER TABLE papers ADD COLUMN ai_summary TEXT;
ALTER TABLE papers ADD COLUMN ai_keywords TEXT NOT NULL DEFAULT '[]';
ALTER TABLE papers ADD COLUMN organization TEXT;
ALTER TABLE papers ADD COLUMN published_on TEXT;
ALTER TABLE papers ADD COLUMN meta_fetched_at TEXT;
-- A paper with an arXiv id is identified by it; most papers of text digests have none.
CREATE UNIQUE INDEX papers_by_arxiv_id ON papers(arxiv_id) WHERE arxiv_id IS NOT NULL;
-- Authors for /search: one token per full name (bot.names.author_token), so that
-- "Yann LeCun" is one term and never matches "Yann LeCunff". Rowid is the paper id; a
-- paper has a row only while it has authors. Merged by SearchIndex.tidy like the others.
CREATE VIRTUAL TABLE author_fts USING fts5(
    names, content='', tokenize="unicode61 remove_diacritics 0 tokenchars '_'"
);
CREATE VIRTUAL TABLE author_vocab USING fts5vocab(author_fts, 'row');
INSERT INTO author_fts(author_fts, rank) VALUES ('automerge', 0);
