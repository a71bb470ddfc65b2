import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { UrlSigner } from "./signed-url.js";

describe("UrlSigner", () => {
  const key = randomBytes(32);
  let now = 1_800_000_000_000;
  const signer = new UrlSigner(key, () => now);

  it("accepts its own link until it expires, answering the seconds left", () => {
    const q = signer.sign("app1", "f1", 300);
    expect(q.expires).toBe("1800000300");
    expect(signer.verify("app1", "f1", q.expires, q.signature)).toBe(300);
    now += 299_000;
    expect(signer.verify("app1", "f1", q.expires, q.signature)).toBe(1);
    now += 1_000;
    expect(() => signer.verify("app1", "f1", q.expires, q.signature)).toThrow(/^File link expired/);
  });

  it.each([
    ["another app", "app2", "f1", undefined, undefined],
    ["another file", "app1", "f2", undefined, undefined],
    ["a later expiry", "app1", "f1", "1900000000", undefined],
    ["another signature", "app1", "f1", undefined, "AAAA"],
    ["no signature", "app1", "f1", undefined, ""],
    ["a malformed expiry", "app1", "f1", "12e9", undefined],
  ])("refuses a link altered to %s", (_what, app, file, expires, signature) => {
    const q = new UrlSigner(key, () => 1_800_000_000_000).sign("app1", "f1", 300);
    const v = new UrlSigner(key, () => 1_800_000_000_000);
    expect(() => v.verify(app, file, expires ?? q.expires, signature ?? q.signature)).toThrow(
      expect.objectContaining({ code: "INVALID_SIGNATURE", status: 403 }),
    );
  });

  it("refuses links signed under another master key", () => {
    const q = new UrlSigner(randomBytes(32), () => now).sign("app1", "f1", 60);
    expect(() => signer.verify("app1", "f1", q.expires, q.signature)).toThrow(
      /Invalid file link signature/,
    );
  });
});
