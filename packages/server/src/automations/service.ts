import { FnbaseError } from "@fnbase/shared";
import type { Catalog } from "../catalog.js";
import { newId } from "../deploy/deployer.js";
import type {
  AutomationRow,
  AutomationStore,
  AutomationWrite,
  IdentityStore,
  RunStatus,
} from "../store/index.js";
import { type AutomationDefinition, isScheduled } from "./definition.js";
import { compileSchedule } from "./schedule.js";
import { validateAutomation, validateAutomations } from "./validate.js";
import { type AutomationView, automationView, type RunView, runView } from "./views.js";

/** What {@link AutomationService} works with. */
export interface AutomationServiceDeps {
  store: AutomationStore;
  identity: IdentityStore;
  catalog: Catalog;
  /** The automations' clock, epoch ms (`ServerOptions.now`). */
  now: () => number;
  /** Shortest interval of a recurring schedule, in ms. */
  minIntervalMs: number;
  /** Told after automations or runs were added or changed (the engine looks for due work). */
  changed: () => void;
}

/** Definition fields that do not change when a schedule runs. */
const NOT_SCHEDULE = new Set(["name", "description", "function_args", "is_active"]);
const scheduleKey = (d: Record<string, unknown>) =>
  JSON.stringify(Object.entries(d).filter(([k]) => !NOT_SCHEDULE.has(k)));
const RUN_STATUSES: RunStatus[] = ["queued", "running", "succeeded", "failed", "skipped"];
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * An app's automations: defined by a deploy's `automations` (the function's list becomes
 * exactly that) or by the API (for apps whose automations were made in Base44's editor and
 * have no `function.jsonc`), enabled and disabled, given an owner, run now; and their runs.
 */
export class AutomationService {
  readonly #d: AutomationServiceDeps;

  constructor(deps: AutomationServiceDeps) {
    this.#d = deps;
  }

  /** Checks a deploy's `automations` (undefined when absent: the function keeps its own). */
  validate(fn: string, raw: unknown): AutomationDefinition[] | undefined {
    return validateAutomations(fn, raw, {
      minIntervalMs: this.#d.minIntervalMs,
      now: this.#d.now(),
    });
  }

  /** The write of a definition: new, or replacing `old` (keeping its schedule when unchanged). */
  #write(
    def: AutomationDefinition,
    source: "deploy" | "api",
    old: AutomationRow | undefined,
  ): AutomationWrite {
    const now = this.#d.now();
    const raw = def as unknown as Record<string, unknown>;
    let schedule: AutomationWrite["schedule"];
    if (!isScheduled(def)) {
      if (!old || old.kind === "scheduled")
        schedule = { next_run_at: null, anchor: 0, run_count: 0 };
    } else if (!old || scheduleKey(old.definition) !== scheduleKey(raw)) {
      const s = compileSchedule(def, { minIntervalMs: 0, anchor: now, now });
      schedule = { next_run_at: s.next(now) ?? null, anchor: now, run_count: 0 };
    } else if (!old.is_active && def.is_active) {
      // Enabled again: from now on, without a catch-up run for the time it was off.
      const s = compileSchedule(def, { minIntervalMs: 0, anchor: old.schedule_anchor, now });
      schedule = { next_run_at: s.next(now) ?? null, anchor: old.schedule_anchor };
    }
    return {
      id: old?.id ?? newId(),
      name: def.name,
      source,
      definition: raw,
      kind: def.type,
      is_active: def.is_active,
      entity_name: def.type === "entity" ? def.entity_name : null,
      event_types: def.type === "entity" ? def.event_types : [],
      ...(schedule ? { schedule } : {}),
    };
  }

  /** Makes a function's automations exactly `defs` (what a deploy with `automations` does). */
  async syncDeployed(appId: string, fn: string, defs: AutomationDefinition[]): Promise<void> {
    const old = new Map((await this.#d.store.list(appId, fn)).map((a) => [a.name, a]));
    const items = defs.map((d) => this.#write(d, "deploy", old.get(d.name)));
    await this.#d.store.syncFunction(appId, fn, items, new Date().toISOString());
    this.#d.changed();
  }

  /** Removes a function's automations and their runs (the function was deleted). */
  async removeFunction(appId: string, fn: string): Promise<void> {
    await this.#d.store.removeFunction(appId, fn);
  }

  /** Each function's automation definitions, as `GET backend-functions` echoes them. */
  async definitions(appId: string): Promise<Map<string, Record<string, unknown>[]>> {
    const out = new Map<string, Record<string, unknown>[]>();
    for (const a of await this.#d.store.list(appId)) {
      const list = out.get(a.function_name) ?? [];
      list.push(a.definition);
      out.set(a.function_name, list);
    }
    return out;
  }

  async #views(appId: string, rows: AutomationRow[]): Promise<AutomationView[]> {
    const last = await this.#d.store.lastRuns(appId);
    const emails = new Map<string, string | null>();
    for (const a of rows) {
      if (a.owner_id !== null && !emails.has(a.owner_id)) {
        emails.set(a.owner_id, (await this.#d.identity.getUser(appId, a.owner_id))?.email ?? null);
      }
    }
    return rows.map((a) =>
      automationView(a, {
        ownerEmail: a.owner_id === null ? null : (emails.get(a.owner_id) ?? null),
        last: last.get(a.id),
      }),
    );
  }

  /** Every automation of an app, by function and position. */
  async list(appId: string): Promise<AutomationView[]> {
    return await this.#views(appId, await this.#d.store.list(appId));
  }

  async #row(appId: string, id: string): Promise<AutomationRow> {
    const a = await this.#d.store.get(appId, id);
    if (!a) {
      throw new FnbaseError("AUTOMATION_NOT_FOUND", `Automation not found: ${id}`, {
        hint: "List them with `fnbase automations list`",
      });
    }
    return a;
  }

  async get(appId: string, id: string): Promise<AutomationView> {
    return (await this.#views(appId, [await this.#row(appId, id)]))[0]!;
  }

  /** The owner a body names (`owner_id` or `owner_email`; null for none), or undefined. */
  async #owner(appId: string, body: Record<string, unknown>): Promise<string | null | undefined> {
    const bad = (field: string, why: string) =>
      new FnbaseError("INVALID_AUTOMATION", `Invalid owner: ${why}`, { field });
    if (body.owner_id !== undefined) {
      if (body.owner_id === null) return null;
      if (typeof body.owner_id !== "string") throw bad("owner_id", "owner_id must be a user id");
      const u = await this.#d.identity.getUser(appId, body.owner_id);
      if (!u)
        throw bad("owner_id", `no user of this app has the id ${JSON.stringify(body.owner_id)}`);
      return u.id;
    }
    if (body.owner_email !== undefined) {
      if (body.owner_email === null) return null;
      if (typeof body.owner_email !== "string")
        throw bad("owner_email", "owner_email must be an email");
      const u = await this.#d.identity.getUserByEmail(appId, body.owner_email.trim());
      if (!u) {
        throw bad(
          "owner_email",
          `no user of this app has the email ${JSON.stringify(body.owner_email)}`,
        );
      }
      return u.id;
    }
    return undefined;
  }

  /**
   * `POST automations`: `{ function_name, owner_id? | owner_email?, ...definition }`, the
   * definition as `function.jsonc` writes it.
   *
   * @throws {FnbaseError} FUNCTION_NOT_FOUND, INVALID_AUTOMATION, CONFLICT (the name is taken).
   */
  async create(appId: string, body: unknown): Promise<AutomationView> {
    if (!isObject(body)) throw new FnbaseError("BAD_REQUEST", "The body must be a JSON object");
    const fn = body.function_name;
    if (typeof fn !== "string" || fn === "") {
      throw new FnbaseError("BAD_REQUEST", '"function_name" must name a deployed function', {
        field: "function_name",
      });
    }
    if (!this.#d.catalog.fn(appId, fn)) {
      throw new FnbaseError("FUNCTION_NOT_FOUND", `Function not found: "${fn}"`, {
        hint: "Deploy the function first",
      });
    }
    const def = validateAutomation(fn, body, {
      minIntervalMs: this.#d.minIntervalMs,
      now: this.#d.now(),
    });
    const owner = await this.#owner(appId, body);
    const item = { ...this.#write(def, "api", undefined), owner_id: owner ?? null };
    if (!(await this.#d.store.create(appId, fn, item, new Date().toISOString()))) {
      throw new FnbaseError(
        "CONFLICT",
        `Function "${fn}" already has an automation "${def.name}"`,
        {
          field: "name",
        },
      );
    }
    this.#d.changed();
    return await this.get(appId, item.id);
  }

  /**
   * `PATCH automations/{id}`: `is_active`, the owner, or definition fields (merged into the
   * current definition and checked again). Without a deploy; a later deploy that sends the
   * function's `automations` replaces what it defines.
   */
  async patch(appId: string, id: string, body: unknown): Promise<AutomationView> {
    if (!isObject(body)) throw new FnbaseError("BAD_REQUEST", "The body must be a JSON object");
    const a = await this.#row(appId, id);
    if (body.name !== undefined && body.name !== a.name) {
      throw new FnbaseError(
        "INVALID_AUTOMATION",
        `Invalid automation "${a.name}": the name cannot change: ${JSON.stringify(body.name)}`,
        { field: "name", hint: "Create one under the new name and delete this one" },
      );
    }
    const { owner_id: _o, owner_email: _e, function_name: _f, ...fields } = body;
    const def = validateAutomation(
      a.function_name,
      { ...a.definition, ...fields },
      { minIntervalMs: this.#d.minIntervalMs, now: this.#d.now() },
    );
    const owner = await this.#owner(appId, body);
    const w = this.#write(def, a.source, a);
    await this.#d.store.update(
      appId,
      id,
      {
        definition: w.definition,
        is_active: w.is_active,
        entity_name: w.entity_name,
        event_types: w.event_types,
        ...(w.schedule ? { schedule: w.schedule } : {}),
        ...(owner !== undefined ? { owner_id: owner } : {}),
      },
      new Date().toISOString(),
    );
    this.#d.changed();
    return await this.get(appId, id);
  }

  /** `DELETE automations/{id}`, with its runs. */
  async remove(appId: string, id: string): Promise<void> {
    if (!(await this.#d.store.remove(appId, id))) await this.#row(appId, id);
  }

  /** `POST automations/{id}/run`: queues a manual run (it runs even when disabled). */
  async runNow(appId: string, id: string): Promise<RunView> {
    const a = await this.#row(appId, id);
    const run = await this.#d.store.enqueue(
      { automation_id: a.id, app_id: appId, trigger: "manual", depth: 1 },
      this.#d.now(),
    );
    this.#d.changed();
    return runView(run, a);
  }

  /** Runs of an app, newest first: `automation` (an id), `status`, `limit` (1-500, default 50). */
  async runs(appId: string, q: Record<string, string | undefined>): Promise<RunView[]> {
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    if (!/^\d+$/.test(q.limit ?? "50") || limit < 1 || limit > 500) {
      throw new FnbaseError("INVALID_QUERY", `Invalid "limit": ${JSON.stringify(q.limit)}`, {
        hint: "A number from 1 to 500",
      });
    }
    const status = q.status as RunStatus | undefined;
    if (status !== undefined && !RUN_STATUSES.includes(status)) {
      throw new FnbaseError("INVALID_QUERY", `Invalid "status": ${JSON.stringify(q.status)}`, {
        hint: `One of ${RUN_STATUSES.join(", ")}`,
      });
    }
    const byId = new Map((await this.#d.store.list(appId)).map((a) => [a.id, a]));
    if (q.automation !== undefined && !byId.has(q.automation)) await this.#row(appId, q.automation);
    const rows = await this.#d.store.listRuns(appId, {
      limit,
      ...(status ? { status } : {}),
      ...(q.automation ? { automationId: q.automation } : {}),
    });
    return rows.map((r) => runView(r, byId.get(r.automation_id)));
  }

  /** One run. */
  async run(appId: string, runId: string): Promise<RunView> {
    const r = await this.#d.store.getRun(appId, runId);
    if (!r) throw new FnbaseError("NOT_FOUND", `Automation run not found: ${runId}`);
    return runView(r, await this.#d.store.get(appId, r.automation_id));
  }
}
