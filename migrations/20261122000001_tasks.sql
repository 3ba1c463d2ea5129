-- Long-running work (pulls, backups, restores, scans): one row per task.
-- Times are Unix milliseconds (UTC).
CREATE TABLE tasks (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    target      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
    fraction    REAL,
    bytes_done  INTEGER,
    bytes_total INTEGER,
    message     TEXT NOT NULL,
    -- The result a finished task hands to the page that started it (JSON), if any.
    result      TEXT,
    -- The last lines of the task's log, a JSON array of {at, line}; bounded by the writer.
    log         TEXT NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    finished_at INTEGER
);

CREATE INDEX tasks_by_kind_and_target ON tasks (kind, target, created_at DESC);
CREATE INDEX tasks_unfinished ON tasks (status) WHERE status = 'running';
