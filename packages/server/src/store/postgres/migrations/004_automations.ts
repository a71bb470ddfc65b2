/**
 * Migration 4 (PostgreSQL): automations and their runs, as on SQLite (see
 * `store/sqlite/migrations/004_automations.ts`): the runs table is the queue, a tick is unique
 * per `(automation_id, scheduled_for)`, partial indexes serve the dispatcher's scans.
 */
export const pg004Automations = `
  CREATE TABLE automations (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    function_name TEXT NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    source TEXT NOT NULL,
    definition TEXT NOT NULL,
    kind TEXT NOT NULL,
    is_active BOOLEAN NOT NULL,
    entity_name TEXT,
    event_types TEXT NOT NULL DEFAULT '[]',
    owner_id TEXT,
    next_run_at BIGINT,
    run_count INTEGER NOT NULL DEFAULT 0,
    schedule_anchor BIGINT NOT NULL DEFAULT 0,
    created_date TEXT NOT NULL,
    updated_date TEXT NOT NULL,
    UNIQUE (app_id, function_name, name)
  );
  CREATE INDEX automations_due ON automations(next_run_at)
    WHERE is_active AND next_run_at IS NOT NULL;
  CREATE INDEX automations_entity ON automations(app_id, entity_name)
    WHERE kind = 'entity' AND is_active;

  CREATE TABLE automation_runs (
    seq BIGSERIAL PRIMARY KEY,
    automation_id TEXT NOT NULL REFERENCES automations(id) ON DELETE CASCADE,
    app_id TEXT NOT NULL,
    trigger TEXT NOT NULL,
    scheduled_for BIGINT,
    record_key TEXT,
    event TEXT,
    depth INTEGER NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    started_at BIGINT,
    finished_at BIGINT,
    duration_ms BIGINT,
    http_status INTEGER,
    request_id TEXT,
    error TEXT,
    created_at BIGINT NOT NULL
  );
  CREATE UNIQUE INDEX automation_runs_tick ON automation_runs(automation_id, scheduled_for)
    WHERE scheduled_for IS NOT NULL;
  CREATE INDEX automation_runs_due ON automation_runs(next_attempt_at, seq)
    WHERE status IN ('queued', 'running');
  CREATE INDEX automation_runs_open_record ON automation_runs(automation_id, record_key, seq)
    WHERE record_key IS NOT NULL AND status IN ('queued', 'running');
  CREATE INDEX automation_runs_history ON automation_runs(automation_id, seq);
`;
