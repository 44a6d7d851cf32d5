-- Keep in step with migrations/sqlite/0014_event_log_origin.sql.
-- Which events log an event's leaf is in: logs are shards by period and leaf indices restart in
-- each. NULL for leaves recorded before this column; the server attributes those to the events
-- log of the period while it has no earlier one.
ALTER TABLE event_leaves ADD COLUMN log_origin TEXT;
