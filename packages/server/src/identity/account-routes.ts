import { FnbaseError, isFnbaseError } from "@fnbase/shared";
import type { Context, Hono } from "hono";
import { readJson } from "../api/errors.js";
import { acceptInvitePage, PAGE_HEADERS, resetPasswordPage, resultPage } from "./account-pages.js";
import { AccountService } from "./accounts.js";
import { appOf, callerOf } from "./caller.js";
import type { IdentityDeps } from "./deps.js";

const isForm = (c: Context) =>
  (c.req.header("content-type") ?? "")
    .toLowerCase()
    .startsWith("application/x-www-form-urlencoded");

/** A JSON object body, or the fields of a posted form. */
async function fields(c: Context): Promise<Record<string, unknown>> {
  if (isForm(c)) {
    const text = await c.req.text();
    if (text.length > 64 * 1024) throw new FnbaseError("PAYLOAD_TOO_LARGE", "Form too large");
    return Object.fromEntries(new URLSearchParams(text));
  }
  const body = await readJson(c);
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new FnbaseError("BAD_REQUEST", "The body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

/**
 * The auth routes of `@base44/sdk` 0.8.50 beyond register and login (`dist/modules/auth.js`,
 * `users.js`): `POST users/invite-user` and `runtime/users/invite-user` `{ user_email, role }`,
 * `auth/reset-password-request` `{ email }`, `auth/reset-password` `{ reset_token,
 * new_password }`, `auth/change-password` `{ user_id, current_password, new_password }`; and
 * the pages emails link to: `GET/POST auth/accept-invite?token=` and `auth/reset-password?token=`
 * (a form posting back; JSON works too). `auth/verify-otp` and `auth/resend-otp` answer 501:
 * registering signs the user in at once, there is no code to verify.
 *
 * @example
 * accountRoutes(api, deps);
 */
export function accountRoutes(api: Hono, d: IdentityDeps): void {
  const accounts = new AccountService(d);
  const base = "/api/apps/:appId";

  const invite = async (c: Context) => {
    const app = appOf(d, c);
    const who = await callerOf(d, app.id, c.req.header("authorization"));
    return c.json(await accounts.invite(app.id, who, await readJson(c)));
  };
  api.post(`${base}/users/invite-user`, invite);
  api.post(`${base}/runtime/users/invite-user`, invite);

  /** Runs a form's action: JSON in, JSON out; a posted form gets a page saying how it went. */
  const formAction =
    (
      title: string,
      done: string,
      run: (appId: string, b: Record<string, unknown>) => Promise<object>,
    ) =>
    async (c: Context) => {
      const app = appOf(d, c);
      const form = isForm(c);
      try {
        const result = await run(app.id, await fields(c));
        return form ? c.html(resultPage(title, done), 200, PAGE_HEADERS) : c.json(result);
      } catch (err) {
        if (!form || !isFnbaseError(err)) throw err;
        return c.html(resultPage(title, err.message), err.status as 400, PAGE_HEADERS);
      }
    };

  api.get(`${base}/auth/accept-invite`, (c) => {
    const app = appOf(d, c);
    return c.html(acceptInvitePage(app.name, c.req.query("token") ?? ""), 200, PAGE_HEADERS);
  });
  api.post(
    `${base}/auth/accept-invite`,
    formAction(
      "Invitation",
      "Your account is ready: log in to the app with your email and password.",
      (appId, b) => accounts.acceptInvite(appId, b),
    ),
  );

  api.post(`${base}/auth/reset-password-request`, async (c) => {
    const app = appOf(d, c);
    return c.json(await accounts.requestReset(app.id, await fields(c)));
  });
  api.get(`${base}/auth/reset-password`, (c) => {
    const app = appOf(d, c);
    return c.html(resetPasswordPage(app.name, c.req.query("token") ?? ""), 200, PAGE_HEADERS);
  });
  api.post(
    `${base}/auth/reset-password`,
    formAction("Password", "Your password is changed: log in with the new one.", (appId, b) =>
      accounts.reset(appId, b),
    ),
  );

  api.post(`${base}/auth/change-password`, async (c) => {
    const app = appOf(d, c);
    const who = await callerOf(d, app.id, c.req.header("authorization"));
    return c.json(await accounts.changePassword(app.id, who, await fields(c)));
  });

  const noOtp = (c: Context) => {
    appOf(d, c);
    throw new FnbaseError("NOT_AVAILABLE", "One-time codes are not available on fnbase", {
      hint: "auth.register signs the user in at once: there is no code to verify or resend",
    });
  };
  api.post(`${base}/auth/verify-otp`, noOtp);
  api.post(`${base}/auth/resend-otp`, noOtp);
}
