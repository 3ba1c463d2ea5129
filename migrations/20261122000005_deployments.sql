-- Deployments of a service: pulled, tried in the test slot, promoted, kept for roll back.
CREATE TABLE deployments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id  INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    -- The image's content digest (sha256:…) once pulled, and the reference it runs as.
    digest      TEXT,
    image_ref   TEXT,
    -- The definition this deploy tried (services::ServiceSpec as JSON): promote runs the
    -- container exactly as it passed the health gate, whatever was edited since.
    spec        TEXT,
    -- running: pulling or in the health gate; ready: passed, waiting in the test slot;
    -- failed; production; previous: stopped, kept for roll back; retired; rolled back.
    status      TEXT NOT NULL CHECK (status IN ('running', 'ready', 'failed', 'production', 'previous', 'retired', 'rolled back')),
    actor       TEXT NOT NULL,
    task_id     TEXT,
    message     TEXT NOT NULL DEFAULT '',
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    promoted_at INTEGER
);
CREATE INDEX deployments_by_service ON deployments (service_id, id DESC);
