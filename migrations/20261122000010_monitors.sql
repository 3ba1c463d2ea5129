-- Monitors, their results (raw and rolled up), incidents, notification channels and
-- maintenance windows. Times are Unix milliseconds (UTC).
CREATE TABLE monitors (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    -- The definition (monitors::MonitorSpec as JSON): target, interval, thresholds.
    spec          TEXT NOT NULL,
    paused        INTEGER NOT NULL DEFAULT 0,
    -- Shown on the public status page under `public_name` (never the target).
    published     INTEGER NOT NULL DEFAULT 0,
    public_name   TEXT NOT NULL DEFAULT '',
    -- 'unknown' until the first verdict, then 'up' or 'down'. Changed only after
    -- down_after failures or up_after successes in a row (the streaks below).
    state         TEXT NOT NULL DEFAULT 'unknown' CHECK (state IN ('unknown', 'up', 'down')),
    fail_streak   INTEGER NOT NULL DEFAULT 0,
    ok_streak     INTEGER NOT NULL DEFAULT 0,
    state_since   INTEGER,
    last_check_at INTEGER,
    last_ok       INTEGER,
    last_latency_ms INTEGER,
    -- The last check's sentence; for admins only, never on the status page.
    last_message  TEXT NOT NULL DEFAULT '',
    -- Days until the first certificate of the chain expires (TLS monitors).
    cert_days     INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- Every check, kept for RAW_KEEP_HOURS; the rollups below hold the history.
CREATE TABLE monitor_results (
    monitor_id INTEGER NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    ok         INTEGER NOT NULL,
    latency_ms INTEGER
);
CREATE INDEX monitor_results_by_monitor ON monitor_results (monitor_id, at);
CREATE INDEX monitor_results_by_time ON monitor_results (at);

-- Counts per monitor and hour / day, added to as results are written (same transaction),
-- so uptime over 24 h to 90 d is a sum of at most 90 rows, never a scan of raw results.
CREATE TABLE monitor_hourly (
    monitor_id  INTEGER NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    hour        INTEGER NOT NULL,
    checks      INTEGER NOT NULL,
    ups         INTEGER NOT NULL,
    latency_sum INTEGER NOT NULL,
    latency_n   INTEGER NOT NULL,
    latency_max INTEGER NOT NULL,
    PRIMARY KEY (monitor_id, hour)
) WITHOUT ROWID;

CREATE TABLE monitor_daily (
    monitor_id  INTEGER NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    day         INTEGER NOT NULL,
    checks      INTEGER NOT NULL,
    ups         INTEGER NOT NULL,
    latency_sum INTEGER NOT NULL,
    latency_n   INTEGER NOT NULL,
    latency_max INTEGER NOT NULL,
    PRIMARY KEY (monitor_id, day)
) WITHOUT ROWID;

-- A monitor's time down: opened when it goes down, closed when it is up again.
CREATE TABLE monitor_incidents (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    monitor_id INTEGER NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    started_at INTEGER NOT NULL,
    ended_at   INTEGER,
    -- The failing check's sentence (admins only).
    cause      TEXT NOT NULL,
    -- Opened inside a maintenance window: nobody was notified.
    silenced   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX monitor_incidents_open ON monitor_incidents (monitor_id) WHERE ended_at IS NULL;
CREATE INDEX monitor_incidents_by_monitor ON monitor_incidents (monitor_id, started_at DESC);

CREATE TABLE notification_channels (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    -- monitors::notify::ChannelConfig as JSON, sealed with the data directory's key
    -- (webhook URLs and SMTP passwords are secrets).
    sealed     TEXT NOT NULL,
    -- What the channel is, without secrets, for the page.
    summary    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- One row per incident, channel and change (down or up): the key that makes a notice
-- go out once, even when a check is recorded twice or caretaker restarts mid-send.
CREATE TABLE monitor_notices (
    incident_id INTEGER NOT NULL REFERENCES monitor_incidents (id) ON DELETE CASCADE,
    channel_id  INTEGER NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    change      TEXT NOT NULL CHECK (change IN ('down', 'up')),
    sent_at     INTEGER,
    error       TEXT,
    PRIMARY KEY (incident_id, channel_id, change)
);

-- No notices between starts_at and ends_at, for one monitor or (monitor_id NULL) all.
CREATE TABLE maintenance_windows (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    monitor_id INTEGER REFERENCES monitors (id) ON DELETE CASCADE,
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    CHECK (ends_at > starts_at)
);
