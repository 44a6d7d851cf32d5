-- Which log a decision's leaf is in. Logs are shards by period (`decisions.<host>/<year>`) and
-- leaf indices restart in each, so the index alone does not find the leaf once a new period's
-- log is open. NULL for decisions logged before this column: they are in the log that was
-- current then, which the server finds by trying the archived logs' origins.
ALTER TABLE decisions ADD COLUMN log_origin TEXT;
