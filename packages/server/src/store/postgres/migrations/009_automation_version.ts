/**
 * Migration 9 (PostgreSQL): the counter of changes to the automations that entity writes look
 * for, as on SQLite (`store/sqlite/migrations/007_automation_version.ts`). Every node's entity
 * writes read it in their own transaction, so the next write that starts after another node
 * commits a change sees it, as it saw the automations' own rows before.
 *
 * The trigger runs BEFORE each statement: a statement that changes automations takes the
 * counter's row lock before any automation row's, in every transaction, so two writers of
 * automations wait for each other in one order and never deadlock.
 */
export const pg009AutomationVersion = `
  CREATE TABLE automation_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL
  );
  INSERT INTO automation_version (id, n) VALUES (1, 0);
  CREATE FUNCTION fnbase_automation_changed() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    UPDATE automation_version SET n = n + 1;
    RETURN NULL;
  END $$;
  CREATE TRIGGER automation_version_changed
    BEFORE INSERT OR DELETE OR UPDATE OF id, app_id, kind, is_active, entity_name, event_types
    ON automations FOR EACH STATEMENT EXECUTE FUNCTION fnbase_automation_changed();
`;
