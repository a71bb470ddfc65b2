import { randomBytes } from "node:crypto";
import { FnbaseError, type Logger } from "@fnbase/shared";
import type { Catalog } from "../catalog.js";
import type { RuntimeManager } from "../runtime/manager.js";
import type { DeploymentRecord, FunctionRecord } from "../store/index.js";
import { contentHash } from "./hash.js";
import { materialize, removeDeploymentFiles } from "./materialize.js";
import { validateDeploy } from "./validate.js";

/**
 * How a deploy checks and applies a function's `automations` (automations/service.ts). Kept
 * apart from `validate.ts`: a deploy without the key keeps the function's automations.
 */
export interface DeployAutomations {
  /** The normalised automations of a body, or undefined when it has none; throws a coded 400. */
  validate(fn: string, raw: unknown): unknown[] | undefined;
  /** Makes the function's automations exactly `defs` (normalised). */
  sync(appId: string, fn: string, defs: unknown[]): Promise<void>;
  removeFunction(appId: string, fn: string): Promise<void>;
}

/** The answer to a deploy, as the contract words it. */
export interface DeployResult {
  status: "deployed" | "unchanged";
  deployment_id: string;
}

/** New id for an app or a deployment: 24 hex chars, like Base44's ids. */
export const newId = (): string => randomBytes(12).toString("hex");

/**
 * Turns uploads into immutable deployments. A deploy writes the files to disk first and only
 * then points the function at the new deployment, so nothing half-written is ever served;
 * requests in flight finish on the old instance, which then stops.
 */
export class Deployer {
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly catalog: Catalog,
    private readonly runtime: RuntimeManager,
    private readonly opts: {
      dataDir: string;
      maxUploadBytes: number;
      keepDeployments: number;
      log: Logger;
      /** Refuses code that cannot start (see `CodeChecker`); none: no check. */
      check?: (root: string, name: string, entry: string) => Promise<void>;
    },
    private readonly onEvent: (
      appId: string,
      fn: string,
      deploymentId: string,
      message: string,
    ) => void = () => {},
    private readonly automations?: DeployAutomations,
  ) {}

  /** Runs `task` after any other task on the same function has finished. */
  async #serial<T>(appId: string, name: string, task: () => Promise<T>): Promise<T> {
    const key = `${appId}\0${name}`;
    const prev = this.#locks.get(key) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(task);
    this.#locks.set(key, next);
    try {
      return await next;
    } finally {
      if (this.#locks.get(key) === next) this.#locks.delete(key);
    }
  }

  /**
   * `PUT backend-functions/{name}`. With `automations` (checked before anything changes), the
   * function's automations become exactly those, even when the code is unchanged; without the
   * key, they are kept.
   */
  async deploy(appId: string, rawName: string, body: unknown): Promise<DeployResult> {
    const valid = validateDeploy(rawName, body, this.opts.maxUploadBytes);
    const automations = this.automations?.validate(
      valid.name,
      (body as { automations?: unknown }).automations,
    );
    const v = { ...valid, automations: automations ?? valid.automations };
    return await this.#serial(appId, v.name, async () => {
      const hash = contentHash(v);
      const current = this.catalog.fn(appId, v.name);
      if (current) {
        const dep = await this.catalog.store.getDeployment(current.deployment_id);
        if (
          dep?.content_hash === hash &&
          current.timeout_ms === v.timeoutMs &&
          current.memory_mb === v.memoryMb
        ) {
          if (automations) await this.automations?.sync(appId, v.name, automations);
          return { status: "unchanged", deployment_id: dep.id };
        }
      }
      const d: DeploymentRecord = {
        id: newId(),
        app_id: appId,
        function_name: v.name,
        content_hash: hash,
        entry: v.entry,
        files: v.files,
        automations: v.automations,
        created_date: new Date().toISOString(),
      };
      const check = this.opts.check;
      await materialize(
        this.opts.dataDir,
        d,
        check ? (root) => check(root, v.name, v.entry) : undefined,
      );
      await this.catalog.addDeployment(d, v.timeoutMs, v.memoryMb);
      if (automations) await this.automations?.sync(appId, v.name, automations);
      this.runtime.retire(appId, v.name, d.id);
      this.onEvent(appId, v.name, d.id, `Deployed ${v.name} (deployment ${d.id})`);
      await this.#prune(appId, v.name);
      return { status: "deployed", deployment_id: d.id };
    });
  }

  async #prune(appId: string, name: string): Promise<void> {
    const removed = await this.catalog.store.pruneDeployments(
      appId,
      name,
      this.opts.keepDeployments,
    );
    for (const id of removed) await removeDeploymentFiles(this.opts.dataDir, { app_id: appId, id });
  }

  /** `DELETE backend-functions/{name}`: running instances stop after their in-flight requests. */
  async remove(appId: string, name: string): Promise<boolean> {
    return await this.#serial(appId, name, async () => {
      const deployments = await this.catalog.store.listDeployments(appId, name, 10_000);
      const removed = await this.catalog.deleteFunction(appId, name);
      await this.automations?.removeFunction(appId, name);
      this.runtime.retire(appId, name);
      for (const d of deployments) await removeDeploymentFiles(this.opts.dataDir, d);
      return removed;
    });
  }

  /** A kept deployment's automations, checked again (one the server now refuses is left out). */
  #automationsOf(name: string, raw: unknown[]): unknown[] | undefined {
    try {
      return this.automations?.validate(name, raw);
    } catch (err) {
      this.opts.log.warn({ err, name }, "rollback kept the current automations");
      return undefined;
    }
  }

  /** Makes an earlier deployment current again (the newest other one when none is named). */
  async rollback(appId: string, name: string, deploymentId?: string): Promise<FunctionRecord> {
    return await this.#serial(appId, name, async () => {
      const current = this.catalog.fn(appId, name);
      if (!current) throw new FnbaseError("FUNCTION_NOT_FOUND", `Function not found: "${name}"`);
      const history = await this.catalog.store.listDeployments(
        appId,
        name,
        this.opts.keepDeployments + 1,
      );
      const target = deploymentId
        ? history.find((d) => d.id === deploymentId)
        : history.find((d) => d.id !== current.deployment_id);
      if (!target) {
        throw deploymentId
          ? new FnbaseError(
              "DEPLOYMENT_NOT_FOUND",
              `Deployment not found for "${name}": ${deploymentId}`,
              {
                hint: "List deployments with `fnbase functions history`",
              },
            )
          : new FnbaseError(
              "DEPLOYMENT_NOT_FOUND",
              `No earlier deployment of "${name}" to roll back to`,
            );
      }
      await materialize(this.opts.dataDir, target);
      const f = await this.catalog.setCurrentDeployment(appId, name, target.id);
      // The deployment's automations come back with its code (a deployment without any keeps them).
      if (target.automations !== null && this.automations) {
        const defs = this.#automationsOf(name, target.automations);
        if (defs) await this.automations.sync(appId, name, defs);
      }
      this.runtime.retire(appId, name, target.id);
      this.onEvent(appId, name, target.id, `Rolled back ${name} to deployment ${target.id}`);
      return f!;
    });
  }
}
