-- Keep in step with migrations/sqlite/0013_decision_log.sql.
-- Which log a decision's leaf is in (logs are shards by period and leaf indices restart in each).
ALTER TABLE decisions ADD COLUMN log_origin TEXT;
