import {
  createClient as base44CreateClient,
  createClientFromRequest as base44FromRequest,
} from "@base44/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, createClientFromRequest } from "../src/index.js";
import { startRecorder } from "./helpers/recorder.js";
import { seenRequest } from "./helpers/wire.js";

/**
 * The integrations, users and auth calls through `@base44/sdk` 0.8.50 and through
 * `@fnbase/sdk` against one recorder: the two requests must be the same (method, URL, headers,
 * body) and so must the results. Each case also states the request it expects.
 */

let rec: Awaited<ReturnType<typeof startRecorder>>;
beforeAll(async () => {
  rec = await startRecorder();
});
afterAll(() => rec.close());

/** The modules a case calls, the same shape in both SDKs. */
interface Modules {
  integrations: Record<string, Record<string, (params: unknown) => Promise<unknown>>> & {
    custom: { call(slug: string, op: string, params?: object): Promise<unknown> };
  };
  users?: { inviteUser(email: string, role: string): Promise<unknown> };
  auth?: Record<string, (...args: never[]) => Promise<unknown>>;
}

interface Case {
  name: string;
  call: (m: Modules) => Promise<unknown>;
  answer?: unknown;
  method?: string;
  /** The path after `/api/apps/app_1/`. */
  path: string;
  body?: unknown;
  /** Only for clients that have `users` and `auth` (not the service role). */
  user?: boolean;
}

const file = () => new File(["hello"], "h.txt", { type: "text/plain" });
const core = (m: Modules) => m.integrations.Core!;
const auth = (m: Modules) =>
  m.auth as unknown as {
    inviteUser(email: string, role: string): Promise<unknown>;
    verifyOtp(p: { email: string; otpCode: string }): Promise<unknown>;
    resendOtp(email: string): Promise<unknown>;
    resetPasswordRequest(email: string): Promise<unknown>;
    resetPassword(p: { resetToken: string; newPassword: string }): Promise<unknown>;
    changePassword(p: {
      userId: string;
      currentPassword: string;
      newPassword: string;
    }): Promise<unknown>;
  };

const cases: Case[] = [
  {
    name: "Core.InvokeLLM",
    call: (m) =>
      core(m).InvokeLLM!({
        prompt: "Hi",
        model: "gpt_5_mini",
        response_json_schema: { type: "object" },
      }),
    answer: { city: "Paris" },
    path: "integration-endpoints/Core/InvokeLLM",
    body: { prompt: "Hi", model: "gpt_5_mini", response_json_schema: { type: "object" } },
  },
  {
    name: "Core.InvokeLLM answering a string",
    call: (m) => core(m).InvokeLLM!({ prompt: "Hi" }),
    answer: "Hello there",
    path: "integration-endpoints/Core/InvokeLLM",
    body: { prompt: "Hi" },
  },
  {
    name: "Core.SendEmail",
    call: (m) =>
      core(m).SendEmail!({ to: "a@b.co", subject: "S", body: "<b>B</b>", from_name: "Shop" }),
    path: "integration-endpoints/Core/SendEmail",
    body: { to: "a@b.co", subject: "S", body: "<b>B</b>", from_name: "Shop" },
  },
  {
    name: "Core.UploadFile sends one multipart part with the file's name and type",
    call: (m) => core(m).UploadFile!({ file: file() }),
    answer: { file_url: "http://x/f" },
    path: "integration-endpoints/Core/UploadFile",
    body: [["file", { name: "h.txt", type: "text/plain", text: "hello" }]],
  },
  {
    name: "Core.UploadPrivateFile with other values: objects as JSON, the rest as strings",
    call: (m) => core(m).UploadPrivateFile!({ file: file(), meta: { a: 1 }, n: 2, flag: true }),
    path: "integration-endpoints/Core/UploadPrivateFile",
    body: [
      ["file", { name: "h.txt", type: "text/plain", text: "hello" }],
      ["meta", '{"a":1}'],
      ["n", "2"],
      ["flag", "true"],
    ],
  },
  {
    name: "Core.CreateFileSignedUrl",
    call: (m) => core(m).CreateFileSignedUrl!({ file_uri: "private/x/y", expires_in: 60 }),
    path: "integration-endpoints/Core/CreateFileSignedUrl",
    body: { file_uri: "private/x/y", expires_in: 60 },
  },
  {
    name: "Core.ExtractDataFromUploadedFile",
    call: (m) => core(m).ExtractDataFromUploadedFile!({ file_url: "http://x/f", json_schema: {} }),
    path: "integration-endpoints/Core/ExtractDataFromUploadedFile",
    body: { file_url: "http://x/f", json_schema: {} },
  },
  {
    name: "an installable package's endpoint",
    call: (m) => m.integrations.Slack!.PostMessage!({ channel: "c", text: "t" }),
    path: "integration-endpoints/installable/Slack/integration-endpoints/PostMessage",
    body: { channel: "c", text: "t" },
  },
  {
    name: "custom.call with path and query parameters",
    call: (m) =>
      m.integrations.custom.call("github", "get:/repos", {
        pathParams: { o: "x" },
        queryParams: { page: 2 },
        extra: 1,
      }),
    path: "integrations/custom/github/get:/repos",
    body: { extra: 1, path_params: { o: "x" }, query_params: { page: 2 } },
  },
  {
    name: "users.inviteUser",
    user: true,
    call: (m) => m.users!.inviteUser("bob@example.com", "admin"),
    path: "runtime/users/invite-user",
    body: { user_email: "bob@example.com", role: "admin" },
  },
  {
    name: "auth.inviteUser",
    user: true,
    call: (m) => auth(m).inviteUser("bob@example.com", "user"),
    path: "users/invite-user",
    body: { user_email: "bob@example.com", role: "user" },
  },
  {
    name: "auth.verifyOtp",
    user: true,
    call: (m) => auth(m).verifyOtp({ email: "a@b.co", otpCode: "123456" }),
    path: "auth/verify-otp",
    body: { email: "a@b.co", otp_code: "123456" },
  },
  {
    name: "auth.resendOtp",
    user: true,
    call: (m) => auth(m).resendOtp("a@b.co"),
    path: "auth/resend-otp",
    body: { email: "a@b.co" },
  },
  {
    name: "auth.resetPasswordRequest",
    user: true,
    call: (m) => auth(m).resetPasswordRequest("a@b.co"),
    path: "auth/reset-password-request",
    body: { email: "a@b.co" },
  },
  {
    name: "auth.resetPassword",
    user: true,
    call: (m) => auth(m).resetPassword({ resetToken: "t", newPassword: "p" }),
    path: "auth/reset-password",
    body: { reset_token: "t", new_password: "p" },
  },
  {
    name: "auth.changePassword",
    user: true,
    call: (m) => auth(m).changePassword({ userId: "u1", currentPassword: "a", newPassword: "b" }),
    path: "auth/change-password",
    body: { user_id: "u1", current_password: "a", new_password: "b" },
  },
];

const request = (url: string, user: boolean) =>
  new Request("http://function.local/", {
    headers: {
      "Base44-App-Id": "app_1",
      "Base44-Api-Url": url,
      "Base44-Service-Authorization": "Bearer svc-tok",
      "Base44-State": "state-1",
      ...(user ? { Authorization: "Bearer user-tok" } : {}),
    },
  });

const clients: {
  name: string;
  service?: boolean;
  make: (url: string) => { base44: Modules; fnbase: Modules };
  auth: Record<string, string | undefined>;
}[] = [
  {
    name: "createClient with a user token",
    make: (url) => {
      const config = { appId: "app_1", serverUrl: url, token: "user-tok" };
      return {
        base44: base44CreateClient(config) as unknown as Modules,
        fnbase: createClient({ ...config, storage: false }) as unknown as Modules,
      };
    },
    auth: { authorization: "Bearer user-tok", "on-behalf-of": undefined },
  },
  {
    name: "createClient anonymous",
    make: (url) => ({
      base44: base44CreateClient({ appId: "app_1", serverUrl: url }) as unknown as Modules,
      fnbase: createClient({
        appId: "app_1",
        serverUrl: url,
        storage: false,
      }) as unknown as Modules,
    }),
    auth: { authorization: undefined },
  },
  {
    name: "createClientFromRequest, as the user",
    make: (url) => ({
      base44: base44FromRequest(request(url, true)) as unknown as Modules,
      fnbase: createClientFromRequest(request(url, true)) as unknown as Modules,
    }),
    auth: { authorization: "Bearer user-tok", "base44-state": "state-1" },
  },
  {
    name: "createClientFromRequest, asServiceRole with a user",
    service: true,
    make: (url) => ({
      base44: base44FromRequest(request(url, true)).asServiceRole as unknown as Modules,
      fnbase: createClientFromRequest(request(url, true)).asServiceRole as unknown as Modules,
    }),
    auth: { authorization: "Bearer svc-tok", "on-behalf-of": "Bearer user-tok" },
  },
];

async function run(modules: Modules, c: Case) {
  const before = rec.requests.length;
  rec.answer({ body: c.answer ?? { ok: true } });
  const result = await c.call(modules);
  expect(rec.requests.length).toBe(before + 1);
  return { request: await seenRequest(rec.last()), result };
}

describe.each(clients)("$name", ({ make, auth: expectedAuth, service }) => {
  it.each(cases.filter((c) => !(service && c.user)))("$name", async (c) => {
    const { base44, fnbase } = make(rec.url);
    const theirs = await run(base44, c);
    const ours = await run(fnbase, c);

    expect(ours.request).toEqual(theirs.request);
    expect(ours.result).toEqual(theirs.result);

    expect(ours.request.method).toBe(c.method ?? "POST");
    expect(decodeURI(ours.request.path)).toBe(`/api/apps/app_1/${c.path}`);
    expect(ours.request.body).toEqual(c.body);
    expect(ours.result).toEqual(c.answer ?? { ok: true });
    expect(ours.request.headers["x-app-id"]).toBe("app_1");
    for (const [name, value] of Object.entries(expectedAuth)) {
      expect(ours.request.headers[name], name).toBe(value);
    }
  });
});

it("refuses, as @base44/sdk does, a role other than user or admin and string parameters", async () => {
  const ours = createClient({ appId: "app_1", serverUrl: rec.url, storage: false });
  const theirs = base44CreateClient({ appId: "app_1", serverUrl: rec.url });
  const before = rec.requests.length;
  const message = 'Invalid role: "owner". Role must be either "user" or "admin".';
  await expect(ours.users.inviteUser("a@b.co", "owner" as "user")).rejects.toThrow(message);
  await expect((theirs as unknown as Modules).users!.inviteUser("a@b.co", "owner")).rejects.toThrow(
    message,
  );
  const strings =
    "Integration InvokeLLM must receive an object with named parameters, received: hi";
  await expect(ours.integrations.Core.InvokeLLM("hi" as never)).rejects.toThrow(strings);
  await expect(theirs.integrations.Core.InvokeLLM("hi" as never)).rejects.toThrow(strings);
  expect(rec.requests.length).toBe(before);
});
