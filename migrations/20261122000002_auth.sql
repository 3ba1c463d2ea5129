-- Who may log in, who did, their sessions, one-time links and the audit log.
-- Times are Unix milliseconds (UTC).

-- An allow-list rule: a GitHub user (numeric id or login), organisation or team grants a role.
CREATE TABLE access_rules (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('user', 'org', 'team')),
    -- user: numeric id or login; org: organisation login; team: org/team-slug.
    value       TEXT NOT NULL,
    -- A login rule is pinned to the numeric id of the first account that matched it, so a
    -- renamed-and-reclaimed login cannot inherit the access.
    pinned_id   TEXT,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
    created_at  INTEGER NOT NULL,
    UNIQUE (kind, value)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    provider      TEXT NOT NULL CHECK (provider IN ('local', 'github')),
    -- GitHub's numeric user id (as text), or 'admin' for the local administrator.
    provider_id   TEXT NOT NULL,
    -- The login last seen, for display only; never used to identify anyone.
    login         TEXT NOT NULL,
    name          TEXT,
    -- NULL: no access now (rule removed); the user's sessions stop working at once.
    role          TEXT CHECK (role IN ('admin', 'viewer')),
    -- The rule that granted the role (NULL for the local administrator).
    rule_id       INTEGER REFERENCES access_rules (id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER,
    UNIQUE (provider, provider_id)
);

-- Logged-in sessions. The session data lives in tower-sessions' table; this row ties a
-- session to a user, so sessions can be listed and revoked per user.
CREATE TABLE user_sessions (
    session_id   TEXT PRIMARY KEY NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    address      TEXT NOT NULL,
    user_agent   TEXT NOT NULL
);
CREATE INDEX user_sessions_by_user ON user_sessions (user_id);

-- One-time login links for the local administrator. Only the SHA-256 of the token is kept.
CREATE TABLE login_links (
    token_hash TEXT PRIMARY KEY NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    user_id  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- Who, as shown: a GitHub login, "local admin", or "anonymous".
    actor    TEXT NOT NULL,
    address  TEXT NOT NULL,
    area     TEXT NOT NULL,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    result   TEXT NOT NULL CHECK (result IN ('ok', 'refused', 'failed')),
    detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_time ON audit_log (at DESC);
CREATE INDEX audit_log_by_user ON audit_log (user_id, at DESC);
CREATE INDEX audit_log_by_area ON audit_log (area, at DESC);
