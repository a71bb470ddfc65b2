/**
 * Migration 7: a counter of changes to the automations that entity writes look for. Each entity
 * write reads it (one row) in its own transaction and reuses the triggers it read before while
 * it has not moved (`automation-runs.ts`). The triggers below move it on every insert and delete
 * of an automation (a deploy, the API, an app's deletion cascading) and on every update of a
 * column those reads depend on, whoever writes: the cache cannot miss a change.
 */
export const m007AutomationVersion = `
  CREATE TABLE automation_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
  );
  INSERT INTO automation_version (id, n) VALUES (1, 0);
  CREATE TRIGGER automation_version_insert AFTER INSERT ON automations
  BEGIN UPDATE automation_version SET n = n + 1; END;
  CREATE TRIGGER automation_version_delete AFTER DELETE ON automations
  BEGIN UPDATE automation_version SET n = n + 1; END;
  CREATE TRIGGER automation_version_update
  AFTER UPDATE OF id, app_id, kind, is_active, entity_name, event_types ON automations
  BEGIN UPDATE automation_version SET n = n + 1; END;
  `;
