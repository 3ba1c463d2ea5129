-- Routes of the reverse proxy, its settings and the last apply. Times are Unix
-- milliseconds (UTC).
CREATE TABLE proxy_routes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The public host name, lower case.
    host       TEXT NOT NULL,
    -- '' for the whole host, else '/app' (no trailing slash).
    path       TEXT NOT NULL DEFAULT '',
    -- Where requests go (proxy::RouteTarget as JSON): a service by id, or host:port. No
    -- foreign key: a route whose service was deleted stays, and says so, until edited.
    target     TEXT NOT NULL,
    cert_file  TEXT NOT NULL DEFAULT '',
    key_file   TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (host, path)
);

-- One row: proxy::ProxySettings as JSON.
CREATE TABLE proxy_settings (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    settings TEXT NOT NULL
);

-- One row: how the last apply went.
CREATE TABLE proxy_last_apply (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    ok      INTEGER NOT NULL,
    message TEXT NOT NULL
);
