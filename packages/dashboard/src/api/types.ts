/** Shapes of the API's answers the dashboard reads (see packages/server and docs/). */

export interface App {
  id: string;
  name: string;
  functions_enabled: boolean;
  cors_origins: string[];
  domains: string[];
  egress_allow: string[];
  created_date: string;
  updated_date: string;
  /** The app `/functions/*` serves when nothing else picks one. */
  default: boolean;
}

export interface DeployFile {
  path: string;
  content: string;
}

export interface FunctionInfo {
  name: string;
  deployment_id: string;
  entry: string;
  files: DeployFile[];
  automations: unknown[];
  timeout_seconds: number | null;
  memory_mb: number | null;
  updated_date: string;
}

export interface Deployment {
  id: string;
  content_hash: string;
  created_date: string;
  current: boolean;
  files: number;
}

export type Level = "debug" | "info" | "warning" | "error";

export interface LogLine {
  time: string;
  level: Level;
  function: string;
  message: string;
  request_id: string | null;
  source?: string;
}

export interface SeriesColumns {
  invocations: number[];
  errors: number[];
  p50_ms: (number | null)[];
  p95_ms: (number | null)[];
  cold_starts: number[];
  memory_mb: (number | null)[];
}

export interface Series {
  range: "1h" | "24h";
  step_seconds: number;
  times: number[];
  total: SeriesColumns;
  functions: Record<string, SeriesColumns>;
}

export interface EntitySchema {
  name: string;
  type?: string;
  properties?: Record<string, { type?: string; description?: string; enum?: unknown[] }>;
  required?: string[];
}

export type EntityRecord = Record<string, unknown> & { id: string };

export interface User extends EntityRecord {
  email: string;
  full_name: string | null;
  role: string;
  created_date: string;
}

export interface Run {
  id: string;
  automation_id: string;
  trigger: string;
  status: string;
  attempts: number;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  http_status: number | null;
  request_id: string | null;
  error: string | null;
  created_date: string;
}

export interface Automation {
  id: string;
  name: string;
  function_name: string;
  type: string;
  is_active?: boolean;
  status: "active" | "disabled" | "ended" | "unsupported";
  schedule_type?: string;
  cron_expression?: string;
  repeat_interval?: number;
  repeat_unit?: string;
  entity_name?: string;
  event_types?: string[];
  next_run_at: string | null;
  run_count: number;
  last_run: Run | null;
  source: string;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  created_date: string;
  last_used_date: string | null;
  revoked_date: string | null;
}
