import { randomBytes } from "node:crypto";
import type { Change } from "./cluster/changes.js";
import type {
  AppPatch,
  AppRecord,
  DeploymentRecord,
  FunctionRecord,
  Store,
} from "./store/index.js";

/**
 * The apps and functions the gateway routes to, kept in memory in front of the store so the
 * request path does no store I/O. Every write of this node goes through here and publishes a
 * {@link Change}; every node (this one included) then reloads what changed from the store
 * (`reloadApp`, `reloadFunction`, `reloadAll`), so nodes sharing a PostgreSQL store agree.
 */
export class Catalog {
  readonly #store: Store;
  readonly #apps = new Map<string, AppRecord>();
  readonly #functions = new Map<string, Map<string, FunctionRecord>>();
  readonly #byDomain = new Map<string, string>();
  #changed: (c: Change) => Promise<void> = () => Promise.resolve();

  private constructor(store: Store) {
    this.#store = store;
  }

  /** Loads every app and function from the store. */
  static async load(store: Store): Promise<Catalog> {
    const c = new Catalog(store);
    for (const app of await store.listApps()) {
      c.#putApp(app);
      const fns = new Map<string, FunctionRecord>();
      for (const f of await store.listFunctions(app.id)) fns.set(f.name, f);
      c.#functions.set(app.id, fns);
    }
    return c;
  }

  #putApp(app: AppRecord): void {
    const old = this.#apps.get(app.id);
    for (const d of old?.domains ?? []) this.#byDomain.delete(d.toLowerCase());
    this.#apps.set(app.id, app);
    for (const d of app.domains) this.#byDomain.set(d.toLowerCase(), app.id);
  }

  /**
   * Runs `cb` after every change, before the change's caller goes on (the cluster's bus: every
   * node reloads it and the fronts drop the routing decisions they keep; see front/link.ts).
   */
  onChange(cb: (c: Change) => Promise<void>): void {
    this.#changed = cb;
  }

  /** Reads an app again from the store (created, changed, or gone). */
  async reloadApp(id: string): Promise<void> {
    const app = await this.#store.getApp(id);
    if (!app) {
      this.#dropApp(id);
      return;
    }
    this.#putApp(app);
    if (!this.#functions.has(id)) {
      const fns = new Map<string, FunctionRecord>();
      for (const f of await this.#store.listFunctions(id)) fns.set(f.name, f);
      this.#functions.set(id, fns);
    }
  }

  /** Reads a function again from the store; answers it (undefined when deleted). */
  async reloadFunction(appId: string, name: string): Promise<FunctionRecord | undefined> {
    if (!this.#apps.has(appId)) await this.reloadApp(appId);
    const f = await this.#store.getFunction(appId, name);
    if (f) this.#fnMap(appId).set(name, f);
    else this.#functions.get(appId)?.delete(name);
    return f;
  }

  /** Reads every app and function again. */
  async reloadAll(): Promise<void> {
    const apps = await this.#store.listApps();
    const functions = new Map<string, Map<string, FunctionRecord>>();
    for (const app of apps) {
      const fns = new Map<string, FunctionRecord>();
      for (const f of await this.#store.listFunctions(app.id)) fns.set(f.name, f);
      functions.set(app.id, fns);
    }
    for (const id of [...this.#apps.keys()]) this.#dropApp(id);
    for (const app of apps) this.#putApp(app);
    for (const [id, fns] of functions) this.#functions.set(id, fns);
  }

  #dropApp(id: string): void {
    for (const d of this.#apps.get(id)?.domains ?? []) this.#byDomain.delete(d.toLowerCase());
    this.#apps.delete(id);
    this.#functions.delete(id);
  }

  get store(): Store {
    return this.#store;
  }

  app(id: string): AppRecord | undefined {
    return this.#apps.get(id);
  }

  apps(): AppRecord[] {
    return [...this.#apps.values()];
  }

  /**
   * The app `/functions/*` and `/api/functions/*` serve when no app id, `X-App-Id` or domain
   * picks one: `explicit` (the server's `defaultApp`) when given, else the first app created,
   * which creating more apps does not change.
   */
  defaultApp(explicit: string | undefined): AppRecord | undefined {
    if (explicit !== undefined) return this.#apps.get(explicit);
    return this.#apps.values().next().value;
  }

  appByDomain(host: string): AppRecord | undefined {
    const id = this.#byDomain.get(host.toLowerCase());
    return id === undefined ? undefined : this.#apps.get(id);
  }

  functions(appId: string): Map<string, FunctionRecord> {
    return this.#functions.get(appId) ?? new Map();
  }

  fn(appId: string, name: string): FunctionRecord | undefined {
    return this.#functions.get(appId)?.get(name);
  }

  /** Creates an app with a fresh token signing key. */
  async createApp(app: { id: string; name: string }): Promise<AppRecord> {
    const rec = await this.#store.createApp({
      ...app,
      signing_key: randomBytes(32).toString("hex"),
    });
    this.#putApp(rec);
    this.#functions.set(rec.id, new Map());
    await this.#changed({ kind: "app", appId: rec.id });
    return rec;
  }

  async updateApp(id: string, patch: AppPatch): Promise<AppRecord | undefined> {
    const rec = await this.#store.updateApp(id, patch);
    if (rec) this.#putApp(rec);
    await this.#changed({ kind: "app", appId: id });
    return rec;
  }

  async addDeployment(
    d: DeploymentRecord,
    timeoutMs: number | null,
    memoryMb: number | null = null,
  ): Promise<FunctionRecord> {
    const f = await this.#store.addDeployment(d, timeoutMs, memoryMb);
    this.#fnMap(d.app_id).set(f.name, f);
    await this.#changed({ kind: "function", appId: d.app_id, name: f.name });
    return f;
  }

  async setCurrentDeployment(
    appId: string,
    name: string,
    deploymentId: string,
  ): Promise<FunctionRecord | undefined> {
    const f = await this.#store.setCurrentDeployment(appId, name, deploymentId);
    if (f) this.#fnMap(appId).set(name, f);
    await this.#changed({ kind: "function", appId, name });
    return f;
  }

  async deleteFunction(appId: string, name: string): Promise<boolean> {
    const removed = await this.#store.deleteFunction(appId, name);
    this.#functions.get(appId)?.delete(name);
    await this.#changed({ kind: "function", appId, name });
    return removed;
  }

  #fnMap(appId: string): Map<string, FunctionRecord> {
    let m = this.#functions.get(appId);
    if (!m) {
      m = new Map();
      this.#functions.set(appId, m);
    }
    return m;
  }
}
