/**
 * Entity writes keep the automations they listen for in memory (`store/automation-triggers.ts`),
 * and still hear every change to them on the very next write: through two stores on one
 * database (two connections to one SQLite file; two nodes on one PostgreSQL), each change made
 * through one is seen by the next write through the other, whose list was read before it. And
 * the run's INSERT, which looks for an open earlier run of its record itself, keeps a record's
 * runs in order on both.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFilter } from "../../src/entities/query/parse.js";
import type { AutomationWrite, EntityRef, Store } from "../../src/store/index.js";
import { openSqliteStore, WAITING } from "../../src/store/index.js";
import { openPostgresStore } from "../../src/store/postgres/pg-store.js";
import { storeCases } from "../postgres.js";

const T = "2026-01-01T00:00:00.000Z";
const APP = "app";
const ref = (entity: string): EntityRef => ({ appId: APP, entity, kindOf: () => "unknown" });
const entityAutomation = (id: string, name: string, types: string[]): AutomationWrite => ({
  id,
  name,
  source: "api",
  definition: { name },
  kind: "entity",
  is_active: true,
  entity_name: "Item",
  event_types: types,
});

describe.each(await storeCases())(
  "automation changes on one $name store",
  ({ name, skip, setup }) => {
    if (skip) {
      it.skip("PostgreSQL is not reachable", () => {});
      return;
    }
    let dir: string;
    let one: Store;
    let two: Store;
    let cleanup = async () => {};
    let n = 0;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "fnbase-triggers-"));
      const s = await setup();
      cleanup = s.cleanup;
      const open = () =>
        name === "sqlite"
          ? Promise.resolve(openSqliteStore(join(dir, "fnbase.db")))
          : openPostgresStore(s.store);
      one = await open();
      two = await open();
      await one.createApp({ id: APP, name: "triggers", signing_key: "00" });
      await one.entities.syncSchemas(APP, [
        { name: "Item", schema: { name: "Item" }, indexes: [] },
        { name: "Other", schema: { name: "Other" }, indexes: [] },
      ]);
    });
    afterAll(async () => {
      await one?.close();
      await two?.close();
      await cleanup();
      await rm(dir, { recursive: true, force: true });
    });

    /** Creates a record through `two`; answers its id. */
    const create = async (entity = "Item") => {
      const id = `r${++n}`;
      await two.entities.insert(ref(entity), [
        {
          id,
          created_date: T,
          updated_date: T,
          builtins: { created_by: null, created_by_id: null },
          data: { n },
        },
      ]);
      return id;
    };
    /** The records of an automation's runs, oldest first. */
    const runsOf = async (automationId: string) =>
      (await one.automations.listRuns(APP, { automationId, limit: 100 }))
        .map((r) => r.record_key?.split("\0")[1])
        .reverse();

    it("a change made through one store is heard by the next write through the other", async () => {
      // `two` reads (and keeps) the empty list of Item, and of Other.
      await create();
      await create("Other");

      // Created through `one`: the next create through `two` queues its run.
      expect(
        await one.automations.create(APP, "fn", entityAutomation("a1", "on-item", ["create"]), T),
      ).toBe(true);
      const r1 = await create();
      expect(await runsOf("a1")).toEqual([r1]);
      // Another entity's list was kept too, and still holds nothing.
      await create("Other");
      expect(await runsOf("a1")).toEqual([r1]);

      // Disabled: none.
      await one.automations.update(APP, "a1", { is_active: false }, T);
      await create();
      expect(await runsOf("a1")).toEqual([r1]);

      // Enabled, listening to updates only: a create queues none; to creates again: one.
      await one.automations.update(APP, "a1", { is_active: true, event_types: ["update"] }, T);
      await create();
      expect(await runsOf("a1")).toEqual([r1]);
      await one.automations.update(APP, "a1", { event_types: ["create"] }, T);
      const r2 = await create();
      expect(await runsOf("a1")).toEqual([r1, r2]);

      // Moved to another entity: Item queues none, Other does.
      await one.automations.update(APP, "a1", { entity_name: "Other" }, T);
      await create();
      const r3 = await create("Other");
      expect(await runsOf("a1")).toEqual([r1, r2, r3]);

      // Deleted: the next write neither queues a run nor fails on the automation it no longer has.
      expect(await one.automations.remove(APP, "a1")).toBe(true);
      await create("Other");
      expect(await runsOf("a1")).toEqual([]);

      // A deploy's automations, then the function's deletion.
      await one.automations.syncFunction(
        APP,
        "job",
        [entityAutomation("a2", "deployed", ["create"])],
        T,
      );
      const r4 = await create();
      expect(await runsOf("a2")).toEqual([r4]);
      await one.automations.removeFunction(APP, "job");
      await create();
      expect(await one.automations.list(APP)).toEqual([]);
    });

    it("a record's event waits behind its earlier open one, and starts when that one ends", async () => {
      await one.automations.create(APP, "fn", entityAutomation("a3", "on-update", ["update"]), T);
      const id = await create();
      const other = await create();
      const bump = (rid: string) =>
        two.entities.updateWhere(ref("Item"), parseFilter({ id: rid }), 1, (r) => ({
          ...r,
          data: { n: Number(r.data.n) + 1 },
        }));
      await bump(id);
      await bump(id);
      await bump(other);
      const runs = (
        await one.automations.listRuns(APP, { automationId: "a3", limit: 10 })
      ).reverse();
      expect(
        runs.map((r) => [r.record_key?.split("\0")[1], r.next_attempt_at === WAITING]),
      ).toEqual([
        [id, false],
        [id, true],
        [other, false],
      ]);
      const claimed = await one.automations.claimRuns(Date.now() + 1000, "d", 10, () => 60_000);
      expect(claimed.map((c) => c.run.id)).toEqual([runs[0]!.id, runs[2]!.id]);
      await one.automations.finishRuns(
        claimed.map((c) => ({
          run: c.run,
          owner: "d",
          result: {
            status: "succeeded" as const,
            finished_at: 5000,
            duration_ms: 1,
            http_status: 200,
            request_id: null,
            error: null,
          },
        })),
      );
      const next = await one.automations.claimRuns(Date.now() + 1000, "d", 10, () => 60_000);
      expect(next.map((c) => c.run.id)).toEqual([runs[1]!.id]);
    });
    it("deploys and API changes of the same automations at once never deadlock", async () => {
      const a = (id: string, n: string, active: boolean) => ({
        ...entityAutomation(id, n, ["create"]),
        is_active: active,
      });
      // With the counter bumped after each statement (an AFTER trigger) instead of before,
      // PostgreSQL finds a deadlock here (in most runs of these 100 rounds).
      for (let i = 0; i < 100; i++) {
        await Promise.all([
          one.automations.syncFunction(
            APP,
            "many",
            [a("m1", "n1", i % 2 === 0), a("m2", "n2", true), a("m3", "n3", true)],
            T,
          ),
          two.automations.update(APP, "m2", { is_active: i % 3 === 0 }, T),
          two.automations.update(APP, "m1", { event_types: ["update"] }, T),
          one.automations.syncFunction(
            APP,
            "many",
            [a("m3", "n3", true), a("m2", "n2", false), a("m1", "n1", true)],
            T,
          ),
        ]);
      }
      // Whichever deploy committed last decided the order; all three are there.
      const ids = (await one.automations.list(APP, "many")).map((x) => x.id);
      expect(ids.sort()).toEqual(["m1", "m2", "m3"]);
    });
  },
);
