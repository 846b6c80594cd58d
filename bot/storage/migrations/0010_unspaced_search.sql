-- Titles and abstracts holding text in scripts written without spaces between words
-- (Chinese, Japanese, Thai, Lao, Khmer, Myanmar), in a trigram index, so that a query
-- finds them by substring: the word index would hold a whole run of such text as one
-- word. Only papers with such text are here (a small table); the ranges below are
-- bot.text's UNSPACED.
CREATE VIRTUAL TABLE unspaced_fts USING fts5(title, abstract, tokenize='trigram');
INSERT INTO unspaced_fts(rowid, title, abstract)
    SELECT id, title, abstract FROM papers
    WHERE title GLOB '*[ก-໿က-႟ក-៿぀-ヿ㐀-䶿一-鿿豈-﫿𠀀-𯨟]*'
       OR abstract GLOB '*[ก-໿က-႟ក-៿぀-ヿ㐀-䶿一-鿿豈-﫿𠀀-𯨟]*';
