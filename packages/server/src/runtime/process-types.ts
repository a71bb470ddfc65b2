import type { FunctionOutputLine } from "../config.js";
import type { Cgroups } from "./cgroups.js";
import type { EgressRules } from "./egress/policy.js";
import type { EgressRefusal } from "./egress/proxy.js";
import type { Sandbox } from "./sandbox.js";

/** Which of its limits a process went over, when that is why it stopped. */
export type LimitReason = "memory" | "cpu" | "time";

/** Host-wide settings every Deno process shares. */
export interface DenoProcessSettings {
  denoPath: string;
  /** Deno's module cache (DENO_DIR), kept in the data dir so restarts are warm. */
  denoDir: string;
  /** Import map giving `base44:runtime` and the SDKs (`runtime/import-map.ts`). */
  importMapPath: string;
  /** Extra folders instances may read (the SDK bundles the import map points at). */
  readableDirs: string[];
  /** npm registry for `npm:` imports (`NPM_CONFIG_REGISTRY`); unset: the inherited one. */
  npmRegistry?: string | undefined;
  /** Parent folder of per-process folders (each holds the process's sockets and tmp/). */
  instancesDir: string;
  /** Folder of the code links, one per lane (see `lanes.ts`); new at every start. */
  codeLinksDir: string;
  allowAll: boolean;
  /** How processes are confined (`runtime/sandbox.ts`). */
  sandbox: Sandbox;
  /** Size of a process's writable folder (its tmpfs in the sandbox), in bytes. */
  writableBytes: number;
  /** Workers a host process boots before it knows its app (`FNBASE_RUNTIME=host`). */
  hostWorkers?: number;
  /** Workers a host process boots in its life, a socket name each (default `HOST_SOCKETS`). */
  hostSockets?: number;
  /** Memory limit of a process unless its function sets one, in MB. */
  memoryMb: number;
  /** Kernel limits per process, when this server may set them (`runtime/cgroups.ts`). */
  cgroups?: Cgroups | undefined;
  /** Where an app's instances may connect beyond the public internet (sandbox only). */
  egressRules?: ((appId: string) => EgressRules | undefined) | undefined;
}

/**
 * A record a process sends on stdout (`_records.ts` on the Deno side). A host process's Workers'
 * records carry the Worker's number `w` (`host.ts`), its `waiting` the Worker's thread id.
 */
export type ProcessRecord = { w?: number; tid?: number } & (
  | { t: "waiting" }
  | { t: "pong" }
  /** Written by the sandbox's setup (`sandbox.ts`), not the bootstrap: loopback and tmpfs ready. */
  | { t: "sandboxed" }
  /** A request's handler still runs past the function's time limit (`_overdue.ts`). */
  | { t: "overdue"; ms: number; r: string }
  /** A host process's, when it becomes an app's: its Workers (`waiting`: serving its socket). */
  | { t: "ready"; ms: number; workers?: { w: number; waiting?: boolean; tid?: number }[] }
  | { t: "log"; l: FunctionOutputLine["level"]; m: string; r?: string }
  | { t: "boot_error"; m: string; s?: string }
  | { t: "error"; m: string; s?: string; r?: string }
  /**
   * A host's Worker is gone, and why (`oom`: its heap limit; `stuck`: ended as out of memory, its
   * thread still runs, and only its process's end stops it).
   */
  | { t: "exit"; why: string; oom: boolean; stuck?: boolean }
  /** A host's Worker's heap, in bytes. */
  | { t: "mem"; b: number }
  /**
   * A line a host's Worker's function wrote to stdout (`s: "o"`) or stderr (`"e"`) itself, `c`
   * when the Worker cut it (`worker.ts`).
   */
  | { t: "out"; s: "o" | "e"; m: string; c?: 1 }
);

/** What a process says, for whoever owns it now (a spare pool, then an instance). */
export interface ProcessListener {
  record(rec: ProcessRecord): void;
  /** A plain output line; `truncated` when the splitter cut it. */
  line(stream: "stdout" | "stderr", line: string, truncated: boolean): void;
  /** A connection the egress proxy refused. */
  egress?(refusal: EgressRefusal): void;
}
