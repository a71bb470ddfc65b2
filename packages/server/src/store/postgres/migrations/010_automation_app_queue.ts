/**
 * Migration 10 (PostgreSQL): each app's queue of runs that may start, as on SQLite
 * (`store/sqlite/migrations/008_automation_app_queue.ts`).
 */
export const pg010AutomationAppQueue = `
  CREATE INDEX automation_runs_app_due ON automation_runs(app_id, next_attempt_at, seq)
    WHERE status IN ('queued', 'running');
  `;
