import type { FunctionOutputLine } from "../config.js";
import type { LimitReason } from "./deno-process.js";
import type { EgressRefusal } from "./egress/proxy.js";
import type { Instance } from "./instance.js";

/** What a platform line says of each limit. */
const LIMITS: Record<LimitReason, string> = {
  memory: "its memory limit",
  cpu: "its CPU time limit",
  time: "its time limit",
};

/** Where instance events go, and the limits they name. */
export interface InstanceEventSinks {
  onOutput: (line: FunctionOutputLine) => void;
  cpuTimeLimitMs: number;
  onLimit?: ((appId: string, fn: string, reason: LimitReason) => void) | undefined;
  onEgressRefused?: ((appId: string, fn: string) => void) | undefined;
}

/**
 * The runtime's own lines about instances (`source: "platform"`, written on the function's
 * log): starts, crashes, idle stops, stops over a limit (which are counted too, once each) and
 * refused outbound connections.
 */
export class InstanceEvents {
  readonly #s: InstanceEventSinks;
  readonly #overLimit = new WeakSet<Instance>();

  constructor(sinks: InstanceEventSinks) {
    this.#s = sinks;
  }

  line(inst: Instance, level: FunctionOutputLine["level"], message: string): void {
    this.#s.onOutput({
      time: new Date().toISOString(),
      level,
      message,
      app_id: inst.spec.appId,
      function: inst.spec.functionName,
      deployment_id: inst.spec.deploymentId,
      instance_id: inst.id,
      source: "platform",
    });
  }

  /** An instance stopped over a limit, with what was measured: said and counted once. */
  overLimit(inst: Instance, reason: LimitReason, detail: string): void {
    if (this.#overLimit.has(inst)) return;
    this.#overLimit.add(inst);
    const { memoryMb, timeLimitMs, appId, functionName } = inst.spec;
    const limit =
      reason === "memory"
        ? `${memoryMb} MB`
        : `${reason === "time" ? timeLimitMs : this.#s.cpuTimeLimitMs} ms`;
    this.line(
      inst,
      "error",
      `Instance ${inst.id} stopped: over ${LIMITS[reason]} of ${limit} (${detail})`,
    );
    this.#s.onLimit?.(appId, functionName, reason);
  }

  /** An instance's process exited when nobody asked it to. */
  exited(inst: Instance, why: string): void {
    const over = inst.overLimit;
    if (over === undefined) this.line(inst, "error", `Instance ${inst.id} crashed: ${why}`);
    else this.overLimit(inst, over, why);
  }

  egressRefused(inst: Instance, r: EgressRefusal): void {
    this.line(
      inst,
      "warning",
      `Outbound connection to ${r.host}:${r.port} refused: ${r.why} (an operator can allow it with the app's egress_allow)`,
    );
    this.#s.onEgressRefused?.(inst.spec.appId, inst.spec.functionName);
  }
}
