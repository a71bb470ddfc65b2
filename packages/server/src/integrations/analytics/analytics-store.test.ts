import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openIntegrationsDb } from "../db.js";
import { AnalyticsStore } from "./analytics-store.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function store() {
  const dir = mkdtempSync(join(tmpdir(), "fnbase-analytics-"));
  dirs.push(dir);
  return new AnalyticsStore(openIntegrationsDb(join(dir, "integrations.db")));
}

const ev = (name: string) => ({
  event_name: name,
  timestamp: null,
  user_id: null,
  session_id: null,
  page_url: null,
  properties: { name },
});

describe("AnalyticsStore.prune()", () => {
  it("removes events older than the cut-off, every app's", async () => {
    const s = store();
    await s.insert("a", 1_000, [ev("old1"), ev("old2")]);
    await s.insert("b", 1_500, [ev("old3")]);
    await s.insert("a", 5_000, [ev("new")]);
    expect(await s.prune(2_000, 100)).toBe(3);
    expect(
      (await s.query({ appId: "a", limit: 10, order: "asc" })).map((e) => e.event_name),
    ).toEqual(["new"]);
    expect(await s.query({ appId: "b", limit: 10, order: "asc" })).toEqual([]);
  });

  it("keeps each app's newest events past its cap, in chunks beyond one", async () => {
    const s = store();
    await s.insert(
      "a",
      1_000,
      Array.from({ length: 4_500 }, (_, i) => ev(`e${i}`)),
    );
    await s.insert("b", 1_000, [ev("b1")]);
    expect(await s.prune(0, 1_000)).toBe(3_500);
    const kept = await s.query({ appId: "a", limit: 10_000, order: "asc" });
    expect(kept).toHaveLength(1_000);
    expect(kept[0]!.event_name).toBe("e3500");
    expect(await s.query({ appId: "b", limit: 10, order: "asc" })).toHaveLength(1);
  });
});
