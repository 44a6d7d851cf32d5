-- PostgreSQL adds row-level security policies in its 0002 migration. SQLite has no such
-- feature: on SQLite the store's OrgScope filtering is the only fence. Kept so both
-- migration histories have the same numbers.
SELECT 1;
