-- Services: named applications with their container definition. The definition is JSON
-- (services::ServiceSpec); secret environment values live apart, encrypted.
CREATE TABLE services (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    host_id    TEXT NOT NULL DEFAULT 'local',
    spec       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- One row per secret environment variable: the value sealed with the key in the data
-- directory (core::secrets), never in plain text.
CREATE TABLE service_secrets (
    service_id INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    sealed     TEXT NOT NULL,
    PRIMARY KEY (service_id, name)
);
