import { describe, expect, it } from "vitest";
import {
  MAX_SESSIONS,
  MAX_SESSIONS_PER_SIGNER,
  type SessionCredential,
  SessionStore,
} from "./sessions.js";

const operator: SessionCredential = {
  kind: "key",
  key: "b44k_operator_key_0123456789",
  admin: true,
  prefix: "b44k_operato",
};
const appAdmin = (n: number): SessionCredential => ({
  kind: "user",
  appId: "tenant",
  userId: `u${n}`,
  email: `u${n}@example.com`,
  token: "t",
});

describe("SessionStore's caps", () => {
  it("an app admin signing in again and again ends only their own sessions", () => {
    let now = 0;
    const store = new SessionStore(() => now);
    const op = store.create(operator);
    const mine = [];
    for (let i = 0; i < MAX_SESSIONS_PER_SIGNER * 3; i++) {
      now += 1;
      mine.push(store.create(appAdmin(1)));
    }
    expect(store.get(op.id)).toBeDefined();
    expect(mine.filter((s) => store.get(s.id)).length).toBe(MAX_SESSIONS_PER_SIGNER);
    // The most recent ones are kept.
    expect(store.get(mine.at(-1)!.id)).toBeDefined();
    expect(store.get(mine[0]!.id)).toBeUndefined();
  });

  it("when full, app users' sessions end before the operator's, even an idle operator's", () => {
    let now = 0;
    const store = new SessionStore(() => now);
    const op = store.create(operator);
    for (let i = 0; i < MAX_SESSIONS + 50; i++) {
      now += 1;
      store.create(appAdmin(i));
    }
    expect(store.get(op.id)).toBeDefined();
  });
});
