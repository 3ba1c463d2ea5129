-- How a caretaker service runs as a Docker Swarm service: replicas, placement, limits,
-- update and rollback policy (JSON of cluster::SwarmSettings). What runs is asked of the
-- Swarm manager; only these settings are caretaker's own.
CREATE TABLE swarm_services (
    service_id INTEGER PRIMARY KEY REFERENCES services (id) ON DELETE CASCADE,
    settings   TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
