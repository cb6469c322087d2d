-- Read model, version 1: the seed schema's tables (seeds/000_*.txt), kept by
-- ledger-project from the event log. Names and columns follow the seed so its
-- sample queries run unchanged. Additions, all documented in
-- projections/README.md:
--   * org_id on every row (DESIGN.md decision 10: the distribution column),
--     and in every primary key;
--   * columns the events carry that the seed lacks (spending, retired, ...);
--   * personal fields (email, full_name, reason, comment, intent) are NULL
--     once their subject is forgotten.
-- Money is NUMERIC (exact micro-dollars / 1e6), times are timestamptz.
-- Runs with search_path set to the target schema: no schema names here.

CREATE TABLE organizations (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  name text,
  slug text,
  plan text,
  settings jsonb,
  max_employees integer,
  max_agents_per_employee integer,
  created_at timestamptz,
  updated_at timestamptz,
  deleted_at timestamptz
);

CREATE TABLE subscriptions (
  id uuid NOT NULL,
  org_id uuid NOT NULL,
  plan_id uuid,
  plan_type text,
  monthly_budget_usd numeric(20, 6),
  current_spending_usd numeric(20, 6),
  billing_period_start timestamptz,
  billing_period_end timestamptz,
  status text,
  created_at timestamptz,
  updated_at timestamptz,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE teams (
  id uuid NOT NULL,
  org_id uuid NOT NULL,
  name text,
  description text,
  settings jsonb,
  created_at timestamptz,
  updated_at timestamptz,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE roles (
  id uuid NOT NULL,
  org_id uuid NOT NULL,
  name text,
  description text,
  permissions jsonb,
  can_approve boolean,
  created_at timestamptz,
  updated_at timestamptz,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE employees (
  id uuid NOT NULL,
  org_id uuid NOT NULL,
  team_id uuid,
  role_id uuid,
  email text,
  full_name text,
  status text,
  preferences jsonb,
  spending_usd numeric(20, 6),
  last_login_at timestamptz,
  created_at timestamptz,
  updated_at timestamptz,
  deleted_at timestamptz,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE agent_templates (
  id uuid NOT NULL,
  org_id uuid NOT NULL,
  name text,
  type text,
  description text,
  default_config jsonb,
  capabilities jsonb,
  llm_provider text,
  llm_model text,
  is_public boolean,
  retired boolean,
  created_by_org_id uuid,
  created_at timestamptz,
  updated_at timestamptz,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE tools (
  id uuid NOT NULL,
  org_id uuid NOT NULL,
  name text,
  type text,
  description text,
  schema jsonb,
  default_params jsonb,
  requires_approval boolean,
  created_at timestamptz,
  updated_at timestamptz,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE policies (
  id uuid NOT NULL,
  org_id uuid NOT NULL,
  name text,
  type text,
  rules jsonb,
  severity text,
  created_at timestamptz,
  updated_at timestamptz,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE team_policies (
  id uuid NOT NULL,
  org_id uuid NOT NULL,
  team_id uuid,
  policy_id uuid,
  overrides jsonb,
  created_at timestamptz,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE agent_template_tools (
  org_id uuid NOT NULL,
  agent_template_id uuid NOT NULL,
  tool_id uuid NOT NULL,
  config jsonb,
  created_at timestamptz,
  PRIMARY KEY (org_id, agent_template_id, tool_id)
);

CREATE TABLE agent_template_policies (
  org_id uuid NOT NULL,
  agent_template_id uuid NOT NULL,
  policy_id uuid NOT NULL,
  created_at timestamptz,
  PRIMARY KEY (org_id, agent_template_id, policy_id)
);

CREATE TABLE employee_agents (
  id uuid NOT NULL,
  org_id uuid NOT NULL,
  employee_id uuid,
  agent_template_id uuid,
  name text,
  status text,
  config_override jsonb,
  runtime_state jsonb,
  spending_usd numeric(20, 6),
  last_used_at timestamptz,
  created_at timestamptz,
  updated_at timestamptz,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE mcp_categories (
  id uuid NOT NULL,
  org_id uuid NOT NULL,
  name text,
  description text,
  created_at timestamptz,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE mcp_registry (
  id uuid NOT NULL,
  org_id uuid NOT NULL,
  name text,
  provider text,
  version text,
  description text,
  connection_schema jsonb,
  capabilities jsonb,
  requires_credentials boolean,
  is_approved boolean,
  category_id uuid,
  created_at timestamptz,
  updated_at timestamptz,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE employee_mcp_configs (
  id uuid NOT NULL,
  org_id uuid NOT NULL,
  employee_id uuid,
  mcp_server_id uuid,
  status text,
  connection_config jsonb,
  -- Secrets never reach the ledger: the event names where the secret lives.
  credentials_encrypted jsonb,
  credentials_ref text,
  last_sync_at timestamptz,
  created_at timestamptz,
  updated_at timestamptz,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE agent_requests (
  id uuid NOT NULL,
  org_id uuid NOT NULL,
  employee_id uuid,
  request_type text,
  request_data jsonb,
  status text,
  reason text,
  required_approvals integer,
  created_at timestamptz,
  resolved_at timestamptz,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE approvals (
  id uuid NOT NULL,
  org_id uuid NOT NULL,
  request_id uuid,
  approver_id uuid,
  status text,
  comment text,
  created_at timestamptz,
  resolved_at timestamptz,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE missions (
  id uuid NOT NULL,
  org_id uuid NOT NULL,
  employee_id uuid,
  title text,
  intent text,
  status text,
  plan jsonb,
  context jsonb,
  error text,
  started_at timestamptz,
  completed_at timestamptz,
  created_at timestamptz,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE tasks (
  id uuid NOT NULL,
  org_id uuid NOT NULL,
  mission_id uuid,
  agent_id uuid,
  type text,
  status text,
  input jsonb,
  output jsonb,
  error text,
  retry_count integer,
  started_at timestamptz,
  completed_at timestamptz,
  created_at timestamptz,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE task_dependencies (
  org_id uuid NOT NULL,
  task_id uuid NOT NULL,
  depends_on_task_id uuid NOT NULL,
  dependency_type text,
  created_at timestamptz,
  PRIMARY KEY (org_id, task_id, depends_on_task_id)
);

CREATE TABLE artifacts (
  id uuid NOT NULL,
  org_id uuid NOT NULL,
  mission_id uuid,
  task_id uuid,
  sha256 text,
  artifact_type text,
  file_path text,
  size_bytes bigint,
  metadata jsonb,
  created_at timestamptz,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE usage_records (
  id uuid NOT NULL,
  org_id uuid NOT NULL,
  employee_id uuid,
  agent_id uuid,
  mission_id uuid,
  task_id uuid,
  resource_type text,
  quantity bigint,
  cost_usd numeric(20, 6),
  model text,
  token_source text,
  period_start timestamptz,
  period_end timestamptz,
  metadata jsonb,
  created_at timestamptz,
  PRIMARY KEY (org_id, id)
);

-- Every event, in the order the ledger recorded it. payload is the event's
-- FlatBuffers payload as JSON; a personal field appears as
-- {"subject_id": ..., "value": plaintext}, value null once forgotten.
-- subjects lists the people the event's personal fields belong to.
CREATE TABLE events (
  id uuid,
  org_id uuid NOT NULL,
  org_seq bigint NOT NULL,
  global_seq bigint NOT NULL,
  employee_id uuid,
  mission_id uuid,
  task_id uuid,
  event_type text NOT NULL,
  event_category text NOT NULL,
  actor jsonb,
  correlation_id text,
  causation_id text,
  occurred_at timestamptz,
  recorded_at timestamptz NOT NULL,
  payload jsonb,
  subjects uuid[],
  created_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, org_seq)
);

-- The projector's position in the global feed, written in the same
-- transaction as the rows it covers (exactly once).
CREATE TABLE projector_checkpoint (
  id integer PRIMARY KEY CHECK (id = 1),
  global_seq bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO projector_checkpoint (id, global_seq) VALUES (1, 0);

-- A personal field in an event payload, erased: every {"subject_id": S,
-- "value": ...} object below `doc` gets value null.
CREATE FUNCTION erase_subject(doc jsonb, subject text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE jsonb_typeof(doc)
    WHEN 'object' THEN
      CASE WHEN doc ? 'subject_id' AND doc ? 'value' AND doc->>'subject_id' = subject
        THEN jsonb_set(doc, '{value}', 'null'::jsonb)
        ELSE (SELECT coalesce(jsonb_object_agg(k, erase_subject(v, subject)), '{}'::jsonb)
              FROM jsonb_each(doc) AS e(k, v))
      END
    WHEN 'array' THEN
      (SELECT coalesce(jsonb_agg(erase_subject(v, subject) ORDER BY i), '[]'::jsonb)
       FROM jsonb_array_elements(doc) WITH ORDINALITY AS a(v, i))
    ELSE doc
  END
$$;

CREATE VIEW v_pending_approvals AS
SELECT
  ar.id AS request_id,
  ar.org_id,
  ar.employee_id,
  e.full_name AS requester,
  e.email AS requester_email,
  ar.request_type,
  ar.request_data,
  ar.reason,
  ar.required_approvals,
  (SELECT count(*) FROM approvals a
    WHERE a.org_id = ar.org_id AND a.request_id = ar.id AND a.status = 'approved') AS approvals_count,
  ar.created_at
FROM agent_requests ar
JOIN employees e ON e.org_id = ar.org_id AND e.id = ar.employee_id
WHERE ar.status = 'pending';
