-- The size and modification time of each digest file last seen with a stored content,
-- so a restart trusts an unchanged file without reading and hashing it.
CREATE TABLE digest_files (
    source TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    content_hash TEXT NOT NULL
);
