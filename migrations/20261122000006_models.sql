-- Tasks gain parts (one progress line per layer of a pull or per server of a sync, a JSON
-- array of {label, done, total, note}) and a text output (a prompt's answer as it streams).
ALTER TABLE tasks ADD COLUMN parts TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tasks ADD COLUMN output TEXT NOT NULL DEFAULT '';

-- The team's Ollama servers, by base URL. `service_id` names the caretaker service the
-- address was taken from, when it was; the address is kept as it was worked out then.
CREATE TABLE ollama_servers (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    base_url   TEXT NOT NULL UNIQUE,
    service_id INTEGER REFERENCES services (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
);
