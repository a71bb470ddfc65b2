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
