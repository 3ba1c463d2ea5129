-- Scheduled jobs and their runs. Times are Unix milliseconds (UTC).
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    -- The definition (jobs::JobSpec as JSON): action, schedule and policy.
    spec        TEXT NOT NULL,
    paused      INTEGER NOT NULL DEFAULT 0,
    -- When a cron job is next due; NULL for other schedules. A value in the past when
    -- caretaker starts means runs were missed while it was down.
    next_run_at INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE job_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id        INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    trigger       TEXT NOT NULL,
    scheduled_for INTEGER,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    status        TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'timed_out', 'skipped', 'interrupted')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    exit_code     INTEGER,
    http_status   INTEGER,
    -- The end of the output, bounded by the writer.
    output        TEXT NOT NULL DEFAULT '',
    message       TEXT NOT NULL DEFAULT ''
);

CREATE INDEX job_runs_by_job ON job_runs (job_id, started_at DESC);
CREATE INDEX job_runs_running ON job_runs (status) WHERE status = 'running';
