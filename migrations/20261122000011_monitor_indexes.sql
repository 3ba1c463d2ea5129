-- Deleting a channel or a monitor cascades into these tables; without an index on the
-- referencing column each delete scans the whole table.
CREATE INDEX monitor_notices_by_channel ON monitor_notices (channel_id);
CREATE INDEX maintenance_windows_by_monitor ON maintenance_windows (monitor_id);
