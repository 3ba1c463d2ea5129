-- Docker engines beyond the local one, reached over TCP with TLS client certificates.
-- The certificate and key stay in files on disk; only their paths are kept here.
CREATE TABLE docker_hosts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    address    TEXT NOT NULL,
    ca_file    TEXT NOT NULL,
    cert_file  TEXT NOT NULL,
    key_file   TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
