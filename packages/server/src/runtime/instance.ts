import type { Dispatcher } from "undici";
import type { LimitReason } from "./deno-process.js";

/** What an instance runs: one deployment of one function of one app. */
export interface InstanceSpec {
  appId: string;
  functionName: string;
  deploymentId: string;
  /** Absolute path of the entry file. */
  entry: string;
  /** Absolute path of the deployment's root (its `base44/` tree). */
  root: string;
  /** The app's secrets, as environment variables. */
  env: Record<string, string>;
  /** Memory limit in MB (the function's, else the server's). */
  memoryMb: number;
  /** The function's time limit per request, in ms. */
  timeLimitMs: number;
}

/** Why an instance stopped. */
export type StopReason = "idle" | "drained" | "replaced" | "shutdown" | "crashed" | "boot_failed";

/**
 * The unit of execution behind the gateway. Today a Deno process per function deployment;
 * the gateway only sees this interface, so it can become a Worker in a per-app host process or a
 * pre-warmed pool without touching the gateway.
 */
export interface Instance {
  readonly id: string;
  readonly spec: InstanceSpec;
  /** Sends HTTP requests to the instance. */
  readonly dispatcher: Dispatcher;
  /** The unix socket it serves HTTP on (the front connects to it directly). */
  readonly socketPath: string;
  /** Header that must accompany every request (the instance refuses others). */
  readonly authHeader: readonly [string, string];
  /** Milliseconds from start (its process taken or spawned, and assigned) to ready. */
  readonly coldStartMs: number;
  /** True until the process has exited. */
  readonly alive: boolean;
  /** Resolves once the instance serves, rejects with FUNCTION_BOOT_FAILED when it cannot. */
  start(): Promise<void>;
  /** Stops the instance; graceful waits for in-flight requests and `waitUntil` work. */
  stop(reason: StopReason, graceful?: boolean): Promise<void>;
  /** Called once when the process exits, with the reason when fnbase did not ask for it. */
  onExit(cb: (unexpected: string | undefined) => void): void;
  /** Resident memory in bytes, when the platform can tell. */
  rss(): Promise<number | undefined>;
  /** The limit the instance went over, when that is why it stopped. */
  readonly overLimit: LimitReason | undefined;
}
