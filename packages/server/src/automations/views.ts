import {
  type AutomationRow,
  type RunRow,
  type RunStatus,
  type RunTrigger,
  WAITING,
} from "../store/index.js";

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** A run as the API answers it (times ISO 8601 UTC). */
export interface RunView {
  id: string;
  automation_id: string;
  automation_name: string | null;
  function_name: string | null;
  trigger: RunTrigger;
  status: RunStatus;
  /** Attempts started (a retried run has several). */
  attempts: number;
  /** Automation runs in the chain that led here, this one included. */
  depth: number;
  /** The tick of a scheduled run. */
  scheduled_for: string | null;
  /** The entity event of an entity run. */
  event: { type: string; entity_name: string; entity_id: string } | null;
  /** When a queued run may start (a retry's time); null while it waits for an earlier run of its record. */
  next_attempt_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  http_status: number | null;
  /** The invocation's request id: `fnbase logs` lines of the run carry it. */
  request_id: string | null;
  error: string | null;
  created_date: string;
}

/** The event part of a stored entity event. */
function eventOf(json: string | null): RunView["event"] {
  if (json === null) return null;
  try {
    const e = (JSON.parse(json) as { event?: RunView["event"] }).event;
    return e ?? null;
  } catch {
    return null;
  }
}

/** A stored run as the API answers it. */
export function runView(r: RunRow, a: AutomationRow | undefined): RunView {
  return {
    id: r.id,
    automation_id: r.automation_id,
    automation_name: a?.name ?? null,
    function_name: a?.function_name ?? null,
    trigger: r.trigger,
    status: r.status,
    attempts: r.attempts,
    depth: r.depth,
    scheduled_for: iso(r.scheduled_for),
    event: eventOf(r.event),
    // A run waiting for an earlier one of its record has no time of its own yet.
    next_attempt_at:
      r.status === "queued" && r.next_attempt_at !== WAITING ? iso(r.next_attempt_at) : null,
    started_at: iso(r.started_at),
    finished_at: iso(r.finished_at),
    duration_ms: r.duration_ms,
    http_status: r.http_status,
    request_id: r.request_id,
    error: r.error,
    created_date: new Date(r.created_at).toISOString(),
  };
}

/** Where an automation stands. */
export type AutomationStatus = "active" | "disabled" | "ended" | "unsupported";

/**
 * An automation as the API answers it: its id and function, its definition's fields as
 * `function.jsonc` holds them, then its state (owner, next run, last run).
 */
export type AutomationView = Record<string, unknown> & {
  id: string;
  function_name: string;
  name: string;
  source: "deploy" | "api";
  /** `ended`: a schedule with no run left; `unsupported`: a connector (fnbase has none). */
  status: AutomationStatus;
  owner: { id: string; email: string | null } | null;
  next_run_at: string | null;
  run_count: number;
  last_run: RunView | null;
  created_date: string;
  updated_date: string;
};

/** A stored automation as the API answers it. */
export function automationView(
  a: AutomationRow,
  o: { ownerEmail: string | null; last: RunRow | undefined },
): AutomationView {
  const status: AutomationStatus = !a.is_active
    ? "disabled"
    : a.kind === "connector"
      ? "unsupported"
      : a.kind === "scheduled" && a.next_run_at === null
        ? "ended"
        : "active";
  return {
    id: a.id,
    function_name: a.function_name,
    ...a.definition,
    name: a.name,
    source: a.source,
    status,
    owner: a.owner_id === null ? null : { id: a.owner_id, email: o.ownerEmail },
    next_run_at: a.is_active ? iso(a.next_run_at) : null,
    run_count: a.run_count,
    last_run: o.last ? runView(o.last, a) : null,
    created_date: a.created_date,
    updated_date: a.updated_date,
  };
}
