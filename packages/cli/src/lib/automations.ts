import { FnbaseError } from "@fnbase/shared";
import { appPath } from "../core/app.js";
import type { ApiClient } from "../core/client.js";

/** An automation as `GET /api/apps/{id}/automations` answers it (the fields the CLI reads). */
export interface RemoteAutomation {
  id: string;
  function_name: string;
  name: string;
  type: "scheduled" | "entity" | "connector";
  is_active: boolean;
  status: "active" | "disabled" | "ended" | "unsupported";
  source: "deploy" | "api";
  owner: { id: string; email: string | null } | null;
  next_run_at: string | null;
  last_run: RemoteRun | null;
  [field: string]: unknown;
}

/** A run as the automations API answers it. */
export interface RemoteRun {
  id: string;
  automation_id: string;
  automation_name: string | null;
  function_name: string | null;
  trigger: "schedule" | "entity" | "manual";
  status: "queued" | "running" | "succeeded" | "failed" | "skipped";
  attempts: number;
  scheduled_for: string | null;
  event: { type: string; entity_name: string; entity_id: string } | null;
  next_attempt_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  http_status: number | null;
  request_id: string | null;
  error: string | null;
  created_date: string;
}

/** `/api/apps/{appId}/automations`. */
export const automationsPath = (appId: string) => `${appPath(appId)}/automations`;

/** Every automation of an app. */
export async function listAutomations(api: ApiClient, appId: string): Promise<RemoteAutomation[]> {
  const { automations } = await api.request<{ automations: RemoteAutomation[] }>(
    automationsPath(appId),
    { feature: "Automations" },
  );
  return automations;
}

/**
 * The automation `ref` names: its id, its name when only one automation of the app has it, or
 * `<function>:<name>`.
 *
 * @throws {FnbaseError} AUTOMATION_NOT_FOUND, or USAGE when a name is ambiguous.
 */
export async function findAutomation(
  api: ApiClient,
  appId: string,
  ref: string,
): Promise<RemoteAutomation> {
  const all = await listAutomations(api, appId);
  const byId = all.find((a) => a.id === ref);
  if (byId) return byId;
  const colon = ref.lastIndexOf(":");
  const matches =
    colon > 0
      ? all.filter(
          (a) => a.function_name === ref.slice(0, colon) && a.name === ref.slice(colon + 1),
        )
      : all.filter((a) => a.name === ref);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new FnbaseError("AUTOMATION_NOT_FOUND", `Automation not found: "${ref}"`, {
      hint: "List them with `fnbase automations list`",
    });
  }
  throw new FnbaseError(
    "USAGE",
    `Several automations are named "${ref}": ${matches.map((a) => `${a.function_name}:${a.name}`).join(", ")}`,
    { hint: "Name one as <function>:<name>, or by its id" },
  );
}

/** What triggers an automation, in a few words. */
export function describeTrigger(a: RemoteAutomation): string {
  if (a.type === "entity") {
    return `on ${(a.event_types as string[]).join("/")} of ${String(a.entity_name)}`;
  }
  if (a.type === "connector") return `${String(a.integration_type)} webhook`;
  if (a.schedule_mode === "one-time") return `once at ${String(a.one_time_date)}`;
  if (a.schedule_type === "cron") return `cron "${String(a.cron_expression)}"`;
  const every = (a.repeat_interval as number | null | undefined) ?? 1;
  const at = a.start_time ? ` at ${String(a.start_time)}` : "";
  return `every ${every} ${String(a.repeat_unit)}${at}`;
}

/** What started a run, in a few words. */
export function describeRun(r: RemoteRun): string {
  if (r.trigger === "schedule") return `schedule ${r.scheduled_for ?? ""}`;
  if (r.trigger === "manual") return "run now";
  return r.event ? `${r.event.type} ${r.event.entity_name} ${r.event.entity_id}` : "entity event";
}

/** Enables or disables the automation `ref` names; answers it as it now is. */
export async function setActive(
  api: ApiClient,
  appId: string,
  ref: string,
  active: boolean,
): Promise<RemoteAutomation> {
  const a = await findAutomation(api, appId, ref);
  return await api.request<RemoteAutomation>(`${automationsPath(appId)}/${a.id}`, {
    method: "PATCH",
    body: { is_active: active },
  });
}

/**
 * Sets the user an automation runs as, by email (`null`: none, the service role alone).
 *
 * @throws {FnbaseError} what the server answers: 400 naming `owner_email` when no user of the
 *   app has that email, 404 for an unknown automation.
 */
export async function setOwner(
  api: ApiClient,
  appId: string,
  ref: string,
  email: string | null,
): Promise<RemoteAutomation> {
  const a = await findAutomation(api, appId, ref);
  return await api.request<RemoteAutomation>(`${automationsPath(appId)}/${a.id}`, {
    method: "PATCH",
    body: { owner_email: email },
  });
}
