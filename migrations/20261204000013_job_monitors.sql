-- Every job has a heartbeat monitor of its own, so a failed or missed run raises an alert
-- without an admin having to add one. `job_id` marks such a monitor: it is paused and
-- resumed with its job and deleted with it.
ALTER TABLE monitors ADD COLUMN job_id INTEGER REFERENCES jobs (id) ON DELETE CASCADE;
CREATE INDEX monitors_by_job ON monitors (job_id);

-- Jobs made before this version get theirs now. `within_minutes` 0: the job's own
-- schedule decides when it is late (see jobs::service::heartbeat).
INSERT INTO monitors (name, spec, paused, job_id, created_at, updated_at)
SELECT 'Job ' || name,
       json_object(
           'target', json_object('kind', 'job_heartbeat', 'job_id', id, 'job', name, 'within_minutes', 0),
           'interval_secs', 60,
           'timeout_secs', 10,
           'down_after', 1,
           'up_after', 1,
           'allow_link_local', json('false')),
       paused, id, updated_at, updated_at
FROM jobs WHERE true
ON CONFLICT (name) DO NOTHING;
