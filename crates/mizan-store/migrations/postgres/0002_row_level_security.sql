-- Row-level security: a second fence under the store's OrgScope filtering.
--
-- Inside a transaction the store has fenced to one organisation (it sets `mizan.org_id`), rows
-- of other organisations are invisible and cannot be written, even by a query that forgot its
-- `org_id` filter. Paths that legitimately span organisations (the regulator, the public
-- register, sign-in) run unfenced: there `mizan.org_id` is unset and the policy lets them through.
-- FORCE makes the policies apply to the table owner too; run Mizan as a role that is not a
-- superuser (superusers always bypass row-level security).

CREATE FUNCTION mizan_fenced_org() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT NULLIF(current_setting('mizan.org_id', true), '')::bigint
$$;

ALTER TABLE systems ENABLE ROW LEVEL SECURITY;
ALTER TABLE systems FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_fence ON systems
    USING (mizan_fenced_org() IS NULL OR org_id = mizan_fenced_org())
    WITH CHECK (mizan_fenced_org() IS NULL OR org_id = mizan_fenced_org());

ALTER TABLE system_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE system_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_fence ON system_versions
    USING (mizan_fenced_org() IS NULL OR EXISTS (SELECT 1 FROM systems s WHERE s.id = system_id AND s.org_id = mizan_fenced_org()))
    WITH CHECK (mizan_fenced_org() IS NULL OR EXISTS (SELECT 1 FROM systems s WHERE s.id = system_id AND s.org_id = mizan_fenced_org()));

ALTER TABLE system_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE system_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_fence ON system_events
    USING (mizan_fenced_org() IS NULL OR EXISTS (SELECT 1 FROM systems s WHERE s.id = system_id AND s.org_id = mizan_fenced_org()))
    WITH CHECK (mizan_fenced_org() IS NULL OR EXISTS (SELECT 1 FROM systems s WHERE s.id = system_id AND s.org_id = mizan_fenced_org()));

ALTER TABLE error_reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE error_reports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_fence ON error_reports
    USING (mizan_fenced_org() IS NULL OR org_id = mizan_fenced_org())
    WITH CHECK (mizan_fenced_org() IS NULL OR org_id = mizan_fenced_org());

ALTER TABLE api_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_fence ON api_tokens
    USING (mizan_fenced_org() IS NULL OR org_id = mizan_fenced_org())
    WITH CHECK (mizan_fenced_org() IS NULL OR org_id = mizan_fenced_org());
