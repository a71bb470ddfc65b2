import { randomBytes } from "node:crypto";
import { FnbaseError, type Logger } from "@fnbase/shared";
import type { Catalog } from "../catalog.js";
import type { RuntimeManager } from "../runtime/manager.js";
import type { DeploymentRecord, FunctionRecord } from "../store/index.js";
import { contentHash } from "./hash.js";
import { materialize, removeDeploymentFiles } from "./materialize.js";
import { validateDeploy } from "./validate.js";

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
    },
    private readonly onEvent: (
      appId: string,
      fn: string,
      deploymentId: string,
      message: string,
    ) => void = () => {},
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

  /** `PUT backend-functions/{name}`. */
  async deploy(appId: string, rawName: string, body: unknown): Promise<DeployResult> {
    const v = validateDeploy(rawName, body, this.opts.maxUploadBytes);
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
      await materialize(this.opts.dataDir, d);
      await this.catalog.addDeployment(d, v.timeoutMs, v.memoryMb);
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
      this.runtime.retire(appId, name);
      for (const d of deployments) await removeDeploymentFiles(this.opts.dataDir, d);
      return removed;
    });
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
      this.runtime.retire(appId, name, target.id);
      this.onEvent(appId, name, target.id, `Rolled back ${name} to deployment ${target.id}`);
      return f!;
    });
  }
}
