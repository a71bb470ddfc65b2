/**
 * `users.inviteUser` and the auth calls of `@base44/sdk` 0.8.50 beyond register and login:
 * invite → the email's link → choose a password (the page's form, or JSON) → log in; password
 * reset by email; change password; the one-time-code calls refused with a code. Emails go to
 * a real SMTP server the test runs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, oneFile } from "../helpers.js";
import { type Fixture, fixture, startSmtp, type User } from "./integration-helpers.js";

let smtp: Awaited<ReturnType<typeof startSmtp>>;
let f: Fixture;
let ada: User;
let boss: User;

beforeAll(async () => {
  smtp = await startSmtp();
  f = await fixture(
    { smtpUrl: smtp.url, mailFrom: "noreply@fnbase.test", publicUrl: "https://app.example.com" },
    Date.now,
    "Resto",
  );
  [ada, boss] = await Promise.all([f.user("ada@example.com"), f.user("boss@example.com", "admin")]);
}, 120_000);
afterAll(async () => {
  await f?.close();
  await smtp?.close();
});

/**
 * `client.users`: in `@base44/sdk` 0.8.50's code (`dist/modules/users.js`), missing from its
 * `Base44Client` type.
 */
const users = (c: unknown) =>
  (c as { users: { inviteUser(email: string, role: string): Promise<unknown> } }).users;

/** The one link of the one email received since the last call, on the public URL. */
async function emailedLink(to: string): Promise<URL> {
  const [got, ...rest] = await smtp.take();
  expect(rest).toEqual([]);
  expect(got!.envelope.to).toEqual([to]);
  const href = /href="([^"]+)"/.exec(String(got!.mail.html))?.[1]?.replace(/&#38;/g, "&");
  expect(href).toBeDefined();
  const url = new URL(href!);
  expect(url.origin).toBe("https://app.example.com");
  // The test reaches the same server on its listening URL.
  return new URL(`${f.url}${url.pathname}${url.search}`);
}

const login = (email: string, password: string) =>
  fetch(`${f.url}/api/apps/${f.appId}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });

describe("invitations", () => {
  it("invite → emailed link → the page's form sets a password → login", async () => {
    const answer = await users(f.base44(ada)).inviteUser("new.driver@example.com", "user");
    expect(answer).toEqual({ success: true, email: "new.driver@example.com", role: "user" });
    const link = await emailedLink("new.driver@example.com");
    expect(link.pathname).toBe(`/api/apps/${f.appId}/auth/accept-invite`);

    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    const html = await page.text();
    expect(html).toContain('<form method="post">');
    expect(html).not.toContain("<script");

    const token = link.searchParams.get("token")!;
    const posted = await fetch(link, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token, full_name: "Dee River", password: "a long passphrase" }),
    });
    expect(posted.status).toBe(200);
    expect(await posted.text()).toContain("Your account is ready");

    const res = await login("new.driver@example.com", "a long passphrase");
    const { user } = (await res.json()) as { user: Record<string, unknown> };
    expect(user).toMatchObject({
      email: "new.driver@example.com",
      full_name: "Dee River",
      role: "user",
    });

    // A link works once.
    const again = await fetch(link, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token, password: "another passphrase" }),
    });
    await expectError(again, 410, "LINK_EXPIRED");
  });

  it("lets an admin invite an admin (auth.inviteUser), accepted with JSON, signing them in", async () => {
    await f.base44(boss).auth.inviteUser("second.boss@example.com", "admin");
    const link = await emailedLink("second.boss@example.com");
    const res = await fetch(link, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: link.searchParams.get("token"), password: "boss passphrase" }),
    });
    const { access_token, user } = (await res.json()) as {
      access_token: string;
      user: { role: string };
    };
    expect(user.role).toBe("admin");
    const me = await f.fnbase({ id: "", email: "", token: access_token }).auth.me();
    expect(me.email).toBe("second.boss@example.com");
  });

  it("refuses a user inviting an admin, an existing user, bad roles and forged links", async () => {
    await expectError(
      await fetch(`${f.url}/api/apps/${f.appId}/runtime/users/invite-user`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${ada.token}` },
        body: JSON.stringify({ user_email: "x@example.com", role: "admin" }),
      }),
      403,
      "FORBIDDEN",
    );
    await expect(f.fnbase(boss).users.inviteUser(ada.email, "user")).rejects.toMatchObject({
      status: 409,
      code: "CONFLICT",
    });
    await expect(users(f.base44(boss)).inviteUser("x@example.com", "owner")).rejects.toThrow(
      'Invalid role: "owner". Role must be either "user" or "admin".',
    );
    const anon = await fetch(`${f.url}/api/apps/${f.appId}/users/invite-user`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user_email: "x@example.com", role: "user" }),
    });
    await expectError(anon, 401, "UNAUTHORIZED");
    // An access token is not an invitation, and an invitation is not an access token.
    const forged = await fetch(`${f.url}/api/apps/${f.appId}/auth/accept-invite`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: ada.token, password: "whatever passphrase" }),
    });
    await expectError(forged, 401, "INVALID_TOKEN");
    expect(await smtp.take()).toEqual([]);
  });

  it("invites from inside a function with the caller's token", async () => {
    await f.admin(`/api/apps/${f.appId}/backend-functions/invite`, {
      method: "PUT",
      body: JSON.stringify(
        oneFile(`
import { createClientFromRequest } from "npm:@base44/sdk@0.8.25";
Deno.serve(async (req) => {
  const base44 = createClientFromRequest(req);
  const { email } = await req.json();
  return Response.json(await base44.users.inviteUser(email, "user"));
});`),
      ),
    });
    const res = await fetch(`${f.url}/api/apps/${f.appId}/functions/invite`, {
      method: "POST",
      headers: { authorization: `Bearer ${ada.token}` },
      body: JSON.stringify({ email: "from.function@example.com" }),
    });
    expect(await res.json()).toEqual({
      success: true,
      email: "from.function@example.com",
      role: "user",
    });
    await emailedLink("from.function@example.com");
  }, 60_000);
});

describe("passwords", () => {
  it("resets by email: the same answer for strangers, the link works once", async () => {
    const carl = await f.user("carl@example.com");
    const client = f.base44();
    expect(await client.auth.resetPasswordRequest("nobody@example.com")).toEqual({ success: true });
    expect(await smtp.take()).toEqual([]);
    expect(await client.auth.resetPasswordRequest(carl.email)).toEqual({ success: true });
    const link = await emailedLink(carl.email);
    expect(link.pathname).toBe(`/api/apps/${f.appId}/auth/reset-password`);
    expect(await (await fetch(link)).text()).toContain('name="new_password"');
    const resetToken = link.searchParams.get("token")!;
    await f.fnbase().auth.resetPassword({ resetToken, newPassword: "brand new secret" });
    expect((await login(carl.email, "brand new secret")).status).toBe(200);
    expect((await login(carl.email, "correct horse")).status).toBe(401);
    await expect(
      client.auth.resetPassword({ resetToken, newPassword: "yet another one" }),
    ).rejects.toMatchObject({ status: 410, code: "LINK_EXPIRED" });
  });

  it("changes the signed-in user's own password after checking the current one", async () => {
    const dee = await f.user("dee@example.com");
    const client = f.base44(dee);
    await expect(
      client.auth.changePassword({
        userId: dee.id,
        currentPassword: "wrong one",
        newPassword: "new secret!",
      }),
    ).rejects.toMatchObject({ status: 401 });
    await expect(
      client.auth.changePassword({
        userId: ada.id,
        currentPassword: "correct horse",
        newPassword: "new secret!",
      }),
    ).rejects.toMatchObject({ status: 403 });
    await expect(
      client.auth.changePassword({
        userId: dee.id,
        currentPassword: "correct horse",
        newPassword: "short",
      }),
    ).rejects.toMatchObject({ status: 400 });
    await f.fnbase(dee).auth.changePassword({
      userId: dee.id,
      currentPassword: "correct horse",
      newPassword: "new secret!",
    });
    expect((await login(dee.email, "new secret!")).status).toBe(200);
  });

  it("refuses the one-time-code calls with 501: registering signs in at once", async () => {
    const client = f.base44();
    await expect(
      client.auth.verifyOtp({ email: ada.email, otpCode: "123456" }),
    ).rejects.toMatchObject({
      status: 501,
      code: "NOT_AVAILABLE",
    });
    await expect(f.fnbase().auth.resendOtp(ada.email)).rejects.toMatchObject({
      status: 501,
      code: "NOT_AVAILABLE",
    });
  });
});
