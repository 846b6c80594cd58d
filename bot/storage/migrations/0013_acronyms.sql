-- Acronyms the abstracts define ("natural language processing (NLP)", see
-- bot.acronyms): how many papers define each (acronym, expansion), counting the papers
-- up to id `acronyms_upto` (meta). A new paper's definitions are counted in the
-- transaction that stores it; papers stored before this migration are counted by the
-- next start (`Catalog.reload`), which moves `acronyms_upto` on from 0.
CREATE TABLE acronyms (
    acronym TEXT NOT NULL,
    expansion TEXT NOT NULL,
    papers INTEGER NOT NULL,
    PRIMARY KEY (acronym, expansion)
) WITHOUT ROWID;
-- A query holding an expansion ("theory of mind") also matches the acronym.
CREATE INDEX acronyms_by_expansion ON acronyms(expansion);
INSERT INTO meta(key, value) VALUES ('acronyms_upto', '0');
