import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllowEntry } from "./policy.js";
import { EgressProxy, type EgressRefusal, MAX_EGRESS_CONNECTIONS } from "./proxy.js";

let dir: string;
let socket: string;
let proxy: EgressProxy;
/** The same port on two loopback addresses: which one a connection lands on tells. */
const hits: Record<string, number> = { "127.0.0.1": 0, "127.0.0.2": 0 };
const servers: Server[] = [];
let port = 0;
const refusals: EgressRefusal[] = [];
/** The resolver's answers, per name, in order: a rebinding name answers differently each time. */
const answers: Record<string, string[][]> = {};
let lookups = 0;

/** Sends `head` to the proxy and answers what it sent back first (status line and body). */
function exchange(head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(socket);
    let got = "";
    s.on("data", (d) => {
      got += String(d);
      if (got.includes("\r\n\r\n") && /\r\n\r\n[\s\S]+/.test(got)) s.end();
    });
    s.on("end", () => resolve(got));
    s.on("error", reject);
    s.write(head);
  });
}

beforeAll(async () => {
  for (const host of ["127.0.0.1", "127.0.0.2"]) {
    const s = createServer((_req, res) => {
      hits[host] = (hits[host] ?? 0) + 1;
      res.end(`at ${host}`);
    });
    await new Promise<void>((r) => s.listen(port, host, r));
    port = (s.address() as AddressInfo).port;
    servers.push(s);
  }
  dir = await mkdtemp(join(tmpdir(), "fnbase-egress-"));
  socket = join(dir, "egress.sock");
  proxy = new EgressProxy(
    () => ({ allow: [parseAllowEntry("127.0.0.2")], endpoints: [] }),
    (r) => refusals.push(r),
    async (host) => {
      lookups++;
      return answers[host]?.shift() ?? [];
    },
  );
  await proxy.listen(socket);
});

afterAll(async () => {
  proxy.close();
  for (const s of servers) s.close();
  await rm(dir, { recursive: true, force: true });
});

describe("EgressProxy", () => {
  it("connects to the address it checked, never to one a second lookup would give", async () => {
    // A rebinding name: allowed the first time, loopback after.
    answers["rebind.test"] = [["127.0.0.2"], ["127.0.0.1"], ["127.0.0.1"]];
    const before = lookups;
    const got = await exchange(
      `GET http://rebind.test:${port}/ HTTP/1.1\r\nhost: rebind.test:${port}\r\nconnection: close\r\n\r\n`,
    );
    expect(got).toMatch(/^HTTP\/1\.1 200/);
    expect(got).toContain("at 127.0.0.2");
    expect(lookups - before).toBe(1);
    expect(hits["127.0.0.1"]).toBe(0);
  });

  it("skips the addresses a name has that are not allowed", async () => {
    answers["mixed.test"] = [["127.0.0.1", "127.0.0.2"]];
    const got = await exchange(
      `CONNECT mixed.test:${port} HTTP/1.1\r\nhost: mixed.test:${port}\r\n\r\nGET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`,
    );
    expect(got).toMatch(/^HTTP\/1\.1 200 Connection Established/);
    expect(got).toContain("at 127.0.0.2");
    expect(hits["127.0.0.1"]).toBe(0);
  });

  it("refuses a name whose every address is refused, saying why", async () => {
    answers["loop.test"] = [["127.0.0.1"]];
    const got = await exchange(`CONNECT loop.test:${port} HTTP/1.1\r\nhost: x\r\n\r\n`);
    expect(got).toMatch(/^HTTP\/1\.1 403 Forbidden/);
    expect(got).toContain(
      "fnbase egress: loop.test resolves to an address that is a loopback address",
    );
    expect(refusals.at(-1)).toEqual({
      host: "loop.test",
      port,
      why: "loop.test resolves to an address that is a loopback address",
    });
    expect(hits["127.0.0.1"]).toBe(0);
  });

  it("holds at most MAX_EGRESS_CONNECTIONS connections of one instance at once", async () => {
    const open = await Promise.all(
      Array.from({ length: MAX_EGRESS_CONNECTIONS }, () => {
        const s = connect(socket);
        s.on("error", () => {});
        return new Promise<typeof s>((r) => s.once("connect", () => r(s)));
      }),
    );
    // Node's server drops a connection past its cap as soon as it accepts it.
    const extra = connect(socket);
    extra.on("error", () => {}); // a reset, as the server drops it
    const closed = await new Promise<boolean>((resolve) => {
      extra.once("close", () => resolve(true));
      extra.write("GET / HTTP/1.1\r\nhost: x\r\n\r\n");
    });
    expect(closed).toBe(true);
    for (const s of open) s.destroy();
    // And serves again once some closed.
    await new Promise((r) => setTimeout(r, 50));
    expect(
      await exchange("GET /relative HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"),
    ).toMatch(/^HTTP\/1\.1 400/);
  });

  it("refuses what is not a proxy request", async () => {
    expect(
      await exchange("GET /relative HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"),
    ).toMatch(/^HTTP\/1\.1 400/);
  });
});
