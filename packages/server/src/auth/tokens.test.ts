import { afterEach, describe, expect, it, vi } from "vitest";
import { TokenService } from "./tokens.js";

const keys: Record<string, string> = { a1: "11".repeat(32), a2: "22".repeat(32) };
const service = () => new TokenService(async (id) => keys[id]);
const claims = { sub: "u1", app_id: "a1", role: "user", email: "u@x.io" };

afterEach(() => {
  vi.useRealTimers();
});

describe("TokenService.verify()", () => {
  it("answers the same claims for a token it has verified before, without checking it again", async () => {
    const t = service();
    const token = await t.sign(claims, 60);
    expect(await t.verify("a1", token)).toEqual(claims);
    const spy = vi.spyOn(crypto.subtle, "verify");
    expect(await t.verify("a1", token)).toEqual(claims);
    expect(spy).not.toHaveBeenCalled();
    // A token it has not seen is checked.
    await t.verify("a1", await t.sign({ ...claims, sub: "u2" }, 60));
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });

  it("refuses a token of another app, or altered, even after verifying the right one", async () => {
    const t = service();
    const token = await t.sign(claims, 60);
    await t.verify("a1", token);
    await expect(t.verify("a2", token)).rejects.toMatchObject({ code: "INVALID_TOKEN" });
    const [h, p, sig] = token.split(".");
    // The first character: all of its 6 bits are the signature's (the last one's low 2 bits
    // are padding, which lenient base64url decoders ignore: changing only those is no change).
    const altered = `${h}.${p}.${sig!.startsWith("A") ? "B" : "A"}${sig!.slice(1)}`;
    await expect(t.verify("a1", altered)).rejects.toMatchObject({ code: "INVALID_TOKEN" });
    const body = JSON.parse(Buffer.from(p!, "base64url").toString()) as Record<string, unknown>;
    const other = Buffer.from(JSON.stringify({ ...body, sub: "u2" })).toString("base64url");
    await expect(t.verify("a1", `${h}.${other}.${sig}`)).rejects.toMatchObject({
      code: "INVALID_TOKEN",
    });
  });

  it("refuses a remembered token once it has expired", async () => {
    const t = service();
    const token = await t.sign(claims, 2);
    expect(await t.verify("a1", token)).toEqual(claims);
    vi.useFakeTimers({ now: Date.now() + 3_000, toFake: ["Date"] });
    await expect(t.verify("a1", token)).rejects.toMatchObject({
      code: "INVALID_TOKEN",
      message: "Token expired",
    });
  });
});
