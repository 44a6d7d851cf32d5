-- Impact assessment (issue 3). Keep in step with migrations/sqlite/0004_impact.sql: answers live with the draft; the assessment is computed on
-- submission and frozen with the version's classification; the level is public.
ALTER TABLE systems ADD COLUMN impact_answers_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE classifications ADD COLUMN impact_level TEXT NOT NULL DEFAULT '';
ALTER TABLE classifications ADD COLUMN impact_json TEXT NOT NULL DEFAULT '';
ALTER TABLE public_register ADD COLUMN impact_level TEXT NOT NULL DEFAULT '';
