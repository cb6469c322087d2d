-- Read model, version 2: the seed's indexes (seeds/000_*.txt, "Table
-- Indexes"), plus the ones the projector's own lookups need. A rebuild
-- applies this after its bulk load, so the load does not maintain them row
-- by row.
CREATE INDEX idx_organizations_slug ON organizations(slug);
CREATE INDEX idx_organizations_plan ON organizations(plan);

CREATE INDEX idx_employees_org_id ON employees(org_id);
CREATE INDEX idx_employees_team_id ON employees(team_id);
CREATE INDEX idx_employees_email ON employees(email);
CREATE INDEX idx_employees_status ON employees(status);

CREATE INDEX idx_employee_agents_employee_id ON employee_agents(employee_id);
CREATE INDEX idx_employee_agents_template_id ON employee_agents(agent_template_id);
CREATE INDEX idx_employee_agents_status ON employee_agents(status);

CREATE INDEX idx_employee_mcp_configs_employee_id ON employee_mcp_configs(employee_id);
CREATE INDEX idx_employee_mcp_configs_status ON employee_mcp_configs(status);

CREATE INDEX idx_missions_employee_id ON missions(employee_id);
CREATE INDEX idx_missions_status ON missions(status);
CREATE INDEX idx_missions_created_at ON missions(created_at DESC);

CREATE INDEX idx_tasks_mission_id ON tasks(mission_id);
CREATE INDEX idx_tasks_agent_id ON tasks(agent_id);
CREATE INDEX idx_tasks_status ON tasks(status);

CREATE INDEX idx_events_org_id ON events(org_id);
CREATE INDEX idx_events_employee_id ON events(employee_id);
CREATE INDEX idx_events_event_type ON events(event_type);
CREATE INDEX idx_events_created_at ON events(created_at DESC);
CREATE INDEX idx_events_mission_id ON events(mission_id);
CREATE INDEX idx_events_subjects ON events USING gin (subjects);

CREATE INDEX idx_usage_records_org_id ON usage_records(org_id);
CREATE INDEX idx_usage_records_employee_id ON usage_records(employee_id);
CREATE INDEX idx_usage_records_period ON usage_records(period_start, period_end);

CREATE INDEX idx_approvals_request_id ON approvals(request_id);
CREATE INDEX idx_approvals_approver_id ON approvals(approver_id);
CREATE INDEX idx_approvals_status ON approvals(status);

CREATE INDEX idx_subscriptions_org_id ON subscriptions(org_id);
CREATE INDEX idx_agent_requests_status ON agent_requests(status);
