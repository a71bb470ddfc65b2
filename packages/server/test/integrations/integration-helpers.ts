/**
 * Helpers of the integration tests: a real server on port 0 (options as the test needs), an
 * app, users registered through `auth/register` (an admin made through the User entity with
 * the admin key), and clients of `@base44/sdk` 0.8.50 and `@fnbase/sdk` for them.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient as base44Client } from "@base44/sdk";
import { createClient as fnbaseClient } from "@fnbase/sdk";
import type { Logger } from "@fnbase/shared";
import { type ParsedMail, simpleParser } from "mailparser";
import { pino } from "pino";
import { SMTPServer } from "smtp-server";
import type { ServerOptions } from "../../src/config.js";
import { type FnbaseServer, startServer } from "../../src/server.js";
import { ADMIN_KEY } from "../helpers.js";

/** A registered user of the test app. */
export interface User {
  id: string;
  email: string;
  token: string;
}

/** A server with one app, and ways to act on it. */
export interface Fixture {
  server: FnbaseServer;
  url: string;
  dataDir: string;
  /** `fetch` with the admin key. */
  admin(path: string, init?: RequestInit): Promise<Response>;
  appId: string;
  /** Registers a user; `admin` makes them an app admin. */
  user(email: string, role?: "user" | "admin"): Promise<User>;
  /** `@base44/sdk` 0.8.50 as that user (or anonymous, or the service role through the admin key). */
  base44(as?: User | "service"): ReturnType<typeof base44Client>;
  /** `@fnbase/sdk` as that user. */
  fnbase(as?: User): ReturnType<typeof fnbaseClient>;
  /** POST a Core endpoint with JSON as `as`. */
  core(endpoint: string, body: unknown, as?: User | "service"): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Starts a server with `options` (in a fresh data dir, admin key {@link ADMIN_KEY}, time from
 * `clock`) and creates an app on it.
 */
export async function fixture(
  options: ServerOptions = {},
  clock: () => number = Date.now,
  name = "integrations",
  log?: Logger,
): Promise<Fixture> {
  const dataDir = await mkdtemp(join(tmpdir(), "fnbase-integrations-"));
  const server = await startServer(
    { port: 0, dataDir, adminKey: ADMIN_KEY, idleTimeoutMs: 60_000, now: clock, ...options },
    log ? { log } : {},
  );
  const url = server.url;
  const admin = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("api_key", ADMIN_KEY);
    if (typeof init.body === "string") headers.set("content-type", "application/json");
    return fetch(`${url}${path}`, { ...init, headers });
  };
  const app = await admin("/api/apps", { method: "POST", body: JSON.stringify({ name }) });
  const appId = ((await app.json()) as { id: string }).id;
  const t = { url, admin };
  const auth = (as: User | "service" | undefined): Record<string, string> =>
    as === undefined ? {} : { authorization: `Bearer ${as === "service" ? ADMIN_KEY : as.token}` };
  return {
    server,
    url,
    dataDir,
    admin,
    appId,
    async user(email, role = "user") {
      const res = await fetch(`${t.url}/api/apps/${appId}/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password: "correct horse", full_name: email.split("@")[0] }),
      });
      if (res.status !== 201) throw new Error(`Cannot register ${email}: ${await res.text()}`);
      const { access_token, user } = (await res.json()) as {
        access_token: string;
        user: { id: string };
      };
      if (role === "admin") {
        const made = await t.admin(`/api/apps/${appId}/entities/User/${user.id}`, {
          method: "PUT",
          body: JSON.stringify({ role: "admin" }),
        });
        if (!made.ok) throw new Error(`Cannot make ${email} an admin: ${await made.text()}`);
      }
      return { id: user.id, email, token: access_token };
    },
    base44: (as) =>
      base44Client({
        appId,
        serverUrl: t.url,
        ...(as === "service" ? { serviceToken: ADMIN_KEY } : as ? { token: as.token } : {}),
      }),
    fnbase: (as) =>
      fnbaseClient({ appId, serverUrl: t.url, storage: false, ...(as ? { token: as.token } : {}) }),
    core: (endpoint, body, as) =>
      fetch(`${t.url}/api/apps/${appId}/integration-endpoints/Core/${endpoint}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...auth(as) },
        body: JSON.stringify(body),
      }),
    close: async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resident memory of a process in bytes (Linux /proc), else 0. */
export function rssOf(pid: number | undefined): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** A logger that keeps the server's log lines (parsed JSON) in `lines`. */
export function memoryLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log, lines };
}

/** A message the test's SMTP server received. */
export interface Received {
  mail: ParsedMail;
  envelope: { from: string; to: string[] };
}

/**
 * A real SMTP server on 127.0.0.1 (`smtp-server`, no TLS, no auth), parsing what it receives
 * with `mailparser`. `take()` answers the messages received since the last call: the relay
 * has accepted a message before the sender's call returns, so no waiting is needed.
 */
export async function startSmtp(): Promise<{
  url: string;
  take(): Promise<Received[]>;
  close(): Promise<void>;
}> {
  let received: Promise<Received>[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, done) {
      const envelope = {
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
        to: session.envelope.rcptTo.map((r) => r.address),
      };
      received.push(simpleParser(stream).then((mail) => ({ mail, envelope })));
      stream.on("end", () => done());
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  const { port } = smtp.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    async take() {
      const all = await Promise.all(received);
      received = [];
      return all;
    },
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
}
