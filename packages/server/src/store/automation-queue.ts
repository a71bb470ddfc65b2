/**
 * The SQL of the automations queue that both stores run as written (`sqlite/automation-runs.ts`,
 * `postgres/automation-runs.ts`), with the placeholder spelling of each (`@now` or `$1`).
 */

/**
 * The apps with runs that may start at `now` and when the earliest became due (`app_id`, `due`),
 * oldest first, at most `limit`: a loose
 * scan of the per-app index of open runs (`automation_runs_app_due`), one seek per app to the
 * next app and one to its earliest run, so a backlog of any size in one app costs one step.
 * A run waiting for an earlier one of its record has no `next_attempt_at` and is never due.
 */
export function dueAppsSql(param: (name: "now" | "limit") => string): string {
  const open = "status IN ('queued', 'running')";
  return `WITH RECURSIVE apps(app_id) AS (
      SELECT (SELECT app_id FROM automation_runs WHERE ${open} ORDER BY app_id LIMIT 1)
      UNION ALL
      SELECT (SELECT r.app_id FROM automation_runs r
              WHERE r.${open} AND r.app_id > apps.app_id ORDER BY r.app_id LIMIT 1)
      FROM apps WHERE apps.app_id IS NOT NULL
    )
    SELECT app_id, due FROM (
      SELECT apps.app_id, (SELECT r.next_attempt_at FROM automation_runs r
        WHERE r.${open} AND r.app_id = apps.app_id AND r.next_attempt_at IS NOT NULL
        ORDER BY r.next_attempt_at LIMIT 1) AS due
      FROM apps WHERE apps.app_id IS NOT NULL
    ) AS d
    WHERE due <= ${param("now")} ORDER BY due, app_id LIMIT ${param("limit")}`;
}
