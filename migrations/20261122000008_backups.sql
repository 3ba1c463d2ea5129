-- restic repositories. The password is either a file caretaker reads (its path here) or
-- a secret sealed with the key in the data directory (core::secrets), never plain text.
CREATE TABLE backup_repositories (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL UNIQUE,
    -- restic's repository location: /srv/restic, sftp:user@host:/path, s3:…, rest:…
    location        TEXT NOT NULL UNIQUE,
    password_file   TEXT,
    sealed_password TEXT,
    offsite         INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    CHECK ((password_file IS NULL) != (sealed_password IS NULL))
);
