-- Request analytics. Times here are Unix seconds (UTC); hours and days start at multiples
-- of 3600 and 86400.

-- A log to read: a live file (followed, with its rotated siblings) or, with an empty
-- path, a name that `caretaker logs import` fills.
CREATE TABLE log_sources (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL UNIQUE,
    service_id     INTEGER REFERENCES services (id) ON DELETE SET NULL,
    path           TEXT NOT NULL DEFAULT '',
    -- combined, common, caddy, gunicorn or nginx (then format_string is its log_format).
    format         TEXT NOT NULL,
    format_string  TEXT NOT NULL DEFAULT '',
    -- Admin patterns on top of the built-in normalisation, one per line (/users/:name).
    route_patterns TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL
);

-- How far each file of a source has been read. A file is known by the fingerprint of its
-- first line, so it is recognised after a rename (access.log -> access.log.1) or
-- compression (.gz); device and inode tell where it was last seen. `read_to` counts the
-- bytes of whole lines consumed (decompressed bytes for .gz) and is written in the same
-- transaction as the counts those lines produced: a crash never loses or doubles a line.
CREATE TABLE log_files (
    source_id   INTEGER NOT NULL REFERENCES log_sources (id) ON DELETE CASCADE,
    fingerprint TEXT NOT NULL,
    path        TEXT NOT NULL,
    device      INTEGER NOT NULL,
    inode       INTEGER NOT NULL,
    read_to     INTEGER NOT NULL,
    -- A compressed file read to its end: it never changes again.
    done        INTEGER NOT NULL DEFAULT 0,
    lines       INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (source_id, fingerprint)
);

-- Lines that could not be read: a few recent samples per source (clipped), for the page.
CREATE TABLE log_rejects (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id INTEGER NOT NULL REFERENCES log_sources (id) ON DELETE CASCADE,
    seen_at   INTEGER NOT NULL,
    reason    TEXT NOT NULL,
    sample    TEXT NOT NULL
);
CREATE INDEX log_rejects_by_source ON log_rejects (source_id, id);

-- Requests per hour and per day, by route, method, status class (1..5; 0 = other) and
-- bot or not. `response` is the response-time histogram (analytics::histogram), NULL
-- when the format has no response time.
CREATE TABLE analytics_hourly (
    source_id    INTEGER NOT NULL REFERENCES log_sources (id) ON DELETE CASCADE,
    hour         INTEGER NOT NULL,
    route        TEXT NOT NULL,
    method       TEXT NOT NULL,
    status_class INTEGER NOT NULL,
    bot          INTEGER NOT NULL,
    requests     INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    response     BLOB,
    PRIMARY KEY (source_id, hour, route, method, status_class, bot)
) WITHOUT ROWID;

CREATE TABLE analytics_daily (
    source_id    INTEGER NOT NULL REFERENCES log_sources (id) ON DELETE CASCADE,
    day          INTEGER NOT NULL,
    route        TEXT NOT NULL,
    method       TEXT NOT NULL,
    status_class INTEGER NOT NULL,
    bot          INTEGER NOT NULL,
    requests     INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    response     BLOB,
    PRIMARY KEY (source_id, day, route, method, status_class, bot)
) WITHOUT ROWID;

-- Unique visitors per day: a HyperLogLog of salted hashes of address and user agent
-- (analytics::sketch). Addresses themselves are never stored.
CREATE TABLE analytics_visitors (
    source_id INTEGER NOT NULL REFERENCES log_sources (id) ON DELETE CASCADE,
    day       INTEGER NOT NULL,
    sketch    BLOB NOT NULL,
    PRIMARY KEY (source_id, day)
) WITHOUT ROWID;
