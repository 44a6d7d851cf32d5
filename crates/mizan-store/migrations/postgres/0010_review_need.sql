-- How many ethics-board approvals the latest submitted version needs (0: no review). Derived
-- from the frozen classification, impact assessment and any tier override by the store when it
-- writes those, and re-derived on start; it lets the reviewer queue filter and page in SQL.
-- Registration never trusts it: it recomputes the need from the frozen rows.
ALTER TABLE systems ADD COLUMN reviewers_needed BIGINT NOT NULL DEFAULT 0;
CREATE INDEX systems_review_queue ON systems(status, reviewers_needed, updated_at, id);
