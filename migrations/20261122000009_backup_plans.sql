-- Backup plans: what to back up, into which repositories, and how long to keep it.
-- Lists (sources, excludes, tags, containers to stop) are JSON arrays; their shapes are
-- the Rust types in app/src/backups/mod.rs. Schedules are jobs (action kind "backup").
CREATE TABLE backup_plans (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL UNIQUE,
    -- system, application or user
    data_class      TEXT NOT NULL,
    sources         TEXT NOT NULL,
    excludes        TEXT NOT NULL DEFAULT '[]',
    tags            TEXT NOT NULL DEFAULT '[]',
    stop_containers TEXT NOT NULL DEFAULT '[]',
    keep_last       INTEGER,
    keep_daily      INTEGER,
    keep_weekly     INTEGER,
    keep_monthly    INTEGER,
    -- restic check --read-data-subset, e.g. 5% or 1/10
    check_subset    TEXT NOT NULL DEFAULT '5%',
    created_at      INTEGER NOT NULL
);

CREATE TABLE backup_plan_repositories (
    plan_id       INTEGER NOT NULL REFERENCES backup_plans(id) ON DELETE CASCADE,
    repository_id INTEGER NOT NULL REFERENCES backup_repositories(id) ON DELETE CASCADE,
    PRIMARY KEY (plan_id, repository_id)
);

-- One row per plan, repository and kind of work (backup, check, drill). A row `running`
-- is also the plan's lock: two runs of one plan never overlap, even from two processes.
CREATE TABLE backup_runs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id         INTEGER NOT NULL REFERENCES backup_plans(id) ON DELETE CASCADE,
    -- the repository's name is kept, so the history reads well after it is removed
    repository_id   INTEGER REFERENCES backup_repositories(id) ON DELETE SET NULL,
    repository_name TEXT NOT NULL,
    kind            TEXT NOT NULL,
    -- running, succeeded, partial, failed, interrupted
    status          TEXT NOT NULL,
    trigger         TEXT NOT NULL,
    actor           TEXT NOT NULL DEFAULT '',
    task_id         TEXT,
    -- the process that runs it, to tell a live run from one whose process died
    pid             INTEGER NOT NULL,
    started_at      INTEGER NOT NULL,
    finished_at     INTEGER,
    files_new       INTEGER,
    files_changed   INTEGER,
    bytes_added     INTEGER,
    -- JSON array of the snapshots this run wrote (one per source group)
    snapshot_ids    TEXT NOT NULL DEFAULT '[]',
    exit_code       INTEGER,
    message         TEXT NOT NULL DEFAULT '',
    -- containers this run stopped and has not started again yet (JSON), so a crash
    -- mid-backup is repaired at the next start
    stopped         TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX backup_runs_by_plan ON backup_runs (plan_id, kind, started_at DESC);
CREATE INDEX backup_runs_running ON backup_runs (status) WHERE status = 'running';
