/**
 * Migration 8: each app's queue of runs that may start, for the dispatcher's fair claim
 * (`dueApps`, then `claimRuns` per app): one app's backlog is never walked to reach another's.
 * Partial: only open runs (queued or running) are in it.
 */
export const m008AutomationAppQueue = `
  CREATE INDEX automation_runs_app_due ON automation_runs(app_id, next_attempt_at, seq)
    WHERE status IN ('queued', 'running');
  `;
