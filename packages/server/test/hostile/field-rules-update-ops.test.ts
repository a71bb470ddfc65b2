// Hostile: a user who may update a record but may neither read nor write one of its fields
// (a field rule) must learn nothing of that field and change nothing of it through
// `update-many`'s operators. SECURITY/ARCHITECTURE: "Field rules (`rls` on a property): `read`
// removes the field from answers; ... an update that changes a field its write rule refuses is a
// 403; filtering, sorting or grouping by a field the caller may not always read is a 403, since
// which records come back would tell its values."
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EntityClient, entityClient, type TestUser } from "../entities/entity-helpers.js";
import { startTestServer, type TestServer } from "../helpers.js";

type Rec = Record<string, unknown> & { id: string };
const isAdmin = { user_condition: { role: "admin" } };

let t: TestServer;
let e: EntityClient;
let bob: TestUser;

beforeAll(async () => {
  t = await startTestServer();
  e = await entityClient(t, "payroll");
  await e.push({
    // Anyone may read and update a row (say, its note); only admins see or change the amount.
    Salary: {
      name: "Salary",
      properties: {
        person: { type: "string" },
        note: { type: "string" },
        bonus: { type: "number" },
        amount: { type: "number", rls: { read: isAdmin, write: isAdmin } },
        // Write-only for bob: he may set it, never read it.
        pin: { type: "number", rls: { read: isAdmin } },
      },
    },
  });
  bob = await e.user("bob@example.com");
}, 120_000);
afterAll(async () => {
  await t?.close();
});

const secretRow = () =>
  e.ok<Rec>(e.admin, "POST", "Salary", { person: "ada", note: "", amount: 123456 }, 201);

describe("field rules under update-many's operators", () => {
  it("the hidden field is hidden from bob to begin with", async () => {
    const row = await secretRow();
    const seen = await e.ok<Rec>(bob.as, "GET", `Salary/${row.id}`);
    expect(seen.amount).toBeUndefined();
  });

  it("$rename cannot move a field bob may not read into one he may", async () => {
    const row = await secretRow();
    await e.req(bob.as, "PATCH", "Salary/update-many", {
      query: { id: row.id },
      data: { $rename: { amount: "bonus" } },
    });
    const seen = await e.ok<Rec>(bob.as, "GET", `Salary/${row.id}`);
    expect(seen.bonus).not.toBe(123456);
    // Nor may it remove what only admins may write.
    const truth = await e.ok<Rec>(e.admin, "GET", `Salary/${row.id}`);
    expect(truth.amount).toBe(123456);
  });

  it("$unset cannot remove a field bob may not write", async () => {
    const row = await secretRow();
    await e.req(bob.as, "PATCH", "Salary/update-many", {
      query: { id: row.id },
      data: { $unset: { amount: "" } },
    });
    const truth = await e.ok<Rec>(e.admin, "GET", `Salary/${row.id}`);
    expect(truth.amount).toBe(123456);
  });

  it("$max/$min do not answer whether the hidden value is above or below a guess", async () => {
    const row = await secretRow();
    const probe = async (guess: number) =>
      (
        await e.req(bob.as, "PATCH", "Salary/update-many", {
          query: { id: row.id },
          data: { $max: { amount: guess } },
        })
      ).status;
    // Whatever the guess, bob must get the same answer (he may not write the field at all).
    const below = await probe(1);
    const above = await probe(10_000_000);
    expect(below, "answer to a guess below the hidden value vs above it").toBe(above);
  });

  it("a plain update does not answer whether a guess equals the hidden value", async () => {
    const row = await secretRow();
    const probe = async (guess: number) =>
      (await e.req(bob.as, "PUT", `Salary/${row.id}`, { amount: guess })).status;
    const wrong = await probe(1);
    const right = await probe(123456);
    expect(right, "answer to the right guess vs a wrong one").toBe(wrong);
  });

  it("$mul does not answer whether the hidden value is large (overflow) or not", async () => {
    // Both rows hide `amount` from bob; only their magnitudes differ.
    const small = await secretRow();
    const huge = await e.ok<Rec>(e.admin, "POST", "Salary", { person: "b", amount: 1e300 }, 201);
    const probe = async (id: string) =>
      (
        await e.req(bob.as, "PATCH", "Salary/update-many", {
          query: { id },
          data: { $mul: { amount: 1e10 } },
        })
      ).status;
    expect(await probe(huge.id), "a huge hidden value vs a small one").toBe(await probe(small.id));
  });

  it("$pull and a sub-field $set do not answer whether the hidden field is set", async () => {
    const set = await secretRow();
    const unset = await e.ok<Rec>(e.admin, "POST", "Salary", { person: "c" }, 201);
    for (const data of [{ $pull: { amount: 1 } }, { $set: { "amount.x": 1 } }]) {
      const probe = async (id: string) => {
        const res = await e.req(bob.as, "PATCH", "Salary/update-many", { query: { id }, data });
        return `${res.status} ${((await res.json()) as { code: string }).code}`;
      };
      expect(await probe(set.id), `${JSON.stringify(data)}: set vs unset`).toBe(
        await probe(unset.id),
      );
      expect(await probe(set.id)).toBe("403 FORBIDDEN");
    }
  });

  it("a field bob may write but not read may be $set, not probed with $inc or $mul", async () => {
    const row = await e.ok<Rec>(e.admin, "POST", "Salary", { person: "d", pin: 1e300 }, 201);
    const other = await e.ok<Rec>(e.admin, "POST", "Salary", { person: "e", pin: 7 }, 201);
    const probe = async (id: string, data: unknown) =>
      (await e.req(bob.as, "PATCH", "Salary/update-many", { query: { id }, data })).status;
    for (const data of [{ $mul: { pin: 1e10 } }, { $inc: { pin: 1e308 } }]) {
      expect(await probe(row.id, data), JSON.stringify(data)).toBe(403);
      expect(await probe(other.id, data), JSON.stringify(data)).toBe(403);
    }
    expect(await probe(other.id, { $set: { pin: 8 } })).toBe(200);
    expect((await e.ok<Rec>(e.admin, "GET", `Salary/${other.id}`)).pin).toBe(8);
    expect((await e.ok<Rec>(e.admin, "GET", `Salary/${row.id}`)).pin).toBe(1e300);
  });

  it("upsert refuses a key bob may not read (a match would tell the hidden value)", async () => {
    await secretRow();
    const res = await e.req(bob.as, "POST", "Salary/upsert", {
      key: "amount",
      records: [{ amount: 123456, note: "found you" }],
    });
    const text = await res.text();
    // As a filter on the field is: a 403 naming it, whatever the guess.
    expect(res.status, text).toBe(403);
  });
});
