/**
 * Core.SendEmail through a real SMTP server the test runs (`smtp-server`, the SMTP protocol
 * server of the nodemailer project), the received messages parsed with `mailparser`: from Node
 * through `@base44/sdk` 0.8.50 and `@fnbase/sdk`, and from a deployed function through
 * `npm:@base44/sdk`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, oneFile } from "../helpers.js";
import { type Fixture, fixture, memoryLog, startSmtp, type User } from "./integration-helpers.js";

let smtp: Awaited<ReturnType<typeof startSmtp>>;
let f: Fixture;
let ada: User;
let bob: User;
const logged = memoryLog();
const take = () => smtp.take();

beforeAll(async () => {
  smtp = await startSmtp();
  f = await fixture(
    { smtpUrl: smtp.url, mailFrom: "noreply@fnbase.test" },
    Date.now,
    "Cozy Care",
    logged.log,
  );
  [ada, bob] = await Promise.all([f.user("ada@example.com"), f.user("bob@example.com")]);
}, 120_000);
afterAll(async () => {
  await f?.close();
  await smtp?.close();
});

const HTML = `<div style="font-family:Arial"><h1>Booking confirmed</h1><p>See you <b>Monday</b>.</p></div>`;

describe("SendEmail", () => {
  it("sends HTML from the service role to anyone, with from_name, and logs it without the body", async () => {
    const base44 = f.base44("service");
    const answer = await base44.asServiceRole.integrations.Core.SendEmail({
      to: "guest@outside.example",
      subject: "Booking confirmed",
      body: HTML,
      from_name: "Cozy Care Bookings",
    });
    expect(answer).toMatchObject({ success: true, message_id: expect.stringMatching(/^<.+>$/) });
    const [got, ...rest] = await take();
    expect(rest).toEqual([]);
    expect(got!.envelope).toEqual({ from: "noreply@fnbase.test", to: ["guest@outside.example"] });
    expect(got!.mail.from?.value).toEqual([
      { name: "Cozy Care Bookings", address: "noreply@fnbase.test" },
    ]);
    expect(got!.mail.subject).toBe("Booking confirmed");
    expect(got!.mail.html).toContain("<h1>Booking confirmed</h1>");
    expect(got!.mail.text).toBe("Booking confirmed\nSee you Monday.");
    const line = logged.lines.find(
      (l) => l.msg === "email sent" && l.subject === "Booking confirmed",
    );
    expect(line).toMatchObject({ app: f.appId, to: ["guest@outside.example"] });
    expect(JSON.stringify(logged.lines)).not.toContain("See you");
  });

  it("sends a user's plain text to another user of the app, from the app's name", async () => {
    await f.base44(ada).integrations.Core.SendEmail({
      to: "BOB@example.com",
      subject: "Hello Bob",
      body: "Plain text, <3 and all.",
    });
    const [got] = await take();
    expect(got!.mail.from?.value).toEqual([{ name: "Cozy Care", address: "noreply@fnbase.test" }]);
    expect(got!.envelope.to).toEqual(["BOB@example.com"]);
    expect(got!.mail.text).toBe("Plain text, <3 and all.\n");
    expect(got!.mail.html).toBe(false);
  });

  it("goes out through @fnbase/sdk the same way", async () => {
    await f
      .fnbase(bob)
      .integrations.Core.SendEmail({ to: ada.email, subject: "From fnbase", body: "Hi" });
    const [got] = await take();
    expect(got!.mail.subject).toBe("From fnbase");
    expect(got!.envelope.to).toEqual([ada.email]);
  });

  it("refuses a user writing to strangers, anonymous callers, and bad addresses or subjects", async () => {
    const stranger = await expectError(
      await f.core("SendEmail", { to: "someone@outside.example", subject: "x", body: "x" }, ada),
      403,
      "FORBIDDEN",
    );
    expect(stranger.error).toBe(
      "Cannot email someone@outside.example: users may only email users of the app",
    );
    await expectError(
      await f.core("SendEmail", { to: bob.email, subject: "x", body: "x" }),
      401,
      "UNAUTHORIZED",
    );
    const cases: [unknown, unknown, string][] = [
      ["not an address", "x", 'Invalid email address in "to": "not an address"'],
      ["", "x", 'Invalid "to": ""'],
      [
        bob.email,
        "two\r\nBcc: victim@example.com",
        "Invalid subject: it must be one line of at most 998 characters",
      ],
      [bob.email, 42, "SendEmail needs a string subject and body"],
    ];
    for (const [to, subject, message] of cases) {
      const res = await f.core("SendEmail", { to, subject, body: "x" }, "service");
      expect((await expectError(res, 400, "BAD_REQUEST")).error).toBe(message);
    }
    expect(await take()).toEqual([]);
  });

  it("sends from inside a function through npm:@base44/sdk, as the caller and as the service role", async () => {
    await f.admin(`/api/apps/${f.appId}/backend-functions/notify`, {
      method: "PUT",
      body: JSON.stringify(
        oneFile(`
import { createClientFromRequest } from "npm:@base44/sdk@0.8.25";
Deno.serve(async (req) => {
  const base44 = createClientFromRequest(req);
  const me = await base44.auth.me();
  await base44.integrations.Core.SendEmail({ to: me.email, subject: "To myself", body: "<p>mine</p>" });
  const sent = await base44.asServiceRole.integrations.Core.SendEmail({
    to: "driver@outside.example", subject: "You are invited", body: "Join us", from_name: "Resto",
  });
  return Response.json(sent);
});`),
      ),
    });
    const res = await fetch(`${f.url}/api/apps/${f.appId}/functions/notify`, {
      method: "POST",
      headers: { authorization: `Bearer ${ada.token}` },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ success: true });
    const got = await take();
    expect(got.map((g) => [g.envelope.to[0], g.mail.subject])).toEqual([
      [ada.email, "To myself"],
      ["driver@outside.example", "You are invited"],
    ]);
  }, 60_000);
});
