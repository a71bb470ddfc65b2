/**
 * Core.UploadFile, UploadPrivateFile and CreateFileSignedUrl through `@base44/sdk` 0.8.50
 * (unchanged) and `@fnbase/sdk` against a real server on local disk: 100 MB up and down byte
 * for byte with the server's memory flat, ranges and caching headers, signed links that expire
 * on a clock the test moves, limits, and what an uploaded page can and cannot do.
 */
import { createHash, randomBytes } from "node:crypto";
import { readdir } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ADMIN_KEY, expectError } from "../helpers.js";
import { storeCases } from "../postgres.js";
import { type Fixture, fixture, rssOf, type User } from "./integration-helpers.js";

const MiB = 1024 * 1024;
/** Files on every store: rows in integrations.db (SQLite) or in PostgreSQL, when reachable. */
describe.each(await storeCases())("files on $name", ({ skip, setup }) => {
  if (skip) {
    it.skip("PostgreSQL is not reachable", () => {});
    return;
  }
  let now = Date.now();
  let f: Fixture;
  let ada: User;
  let bob: User;
  let boss: User;
  let cleanup = async () => {};

  beforeAll(async () => {
    const s = await setup();
    cleanup = s.cleanup;
    f = await fixture(
      {
        store: s.store,
        maxFileBytes: 128 * MiB,
        appFileLimits: { small: { maxFileBytes: 1024, maxAppFilesBytes: 2500 } },
      },
      () => now,
    );
    [ada, bob, boss] = await Promise.all([
      f.user("ada@example.com"),
      f.user("bob@example.com"),
      f.user("boss@example.com", "admin"),
    ]);
  }, 120_000);
  afterAll(async () => {
    await f?.close();
    await cleanup();
  });

  /** POSTs a multipart upload of one file part, as `@base44/sdk` sends it. */
  async function upload(
    as: User | "service" | undefined,
    endpoint: string,
    file: Blob,
    name: string,
    appId = f.appId,
  ): Promise<Response> {
    const form = new FormData();
    form.append("file", file, name);
    const token = as === "service" ? ADMIN_KEY : as?.token;
    return await fetch(`${f.url}/api/apps/${appId}/integration-endpoints/Core/${endpoint}`, {
      method: "POST",
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body: form,
    });
  }

  async function json<T>(res: Response, status = 200): Promise<T> {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    return JSON.parse(text) as T;
  }

  /** Peak RSS growth of this process (the server) and of the front while `run` runs, in MiB. */
  async function peakDuring<T>(
    run: () => Promise<T>,
  ): Promise<{ value: T; node: number; front: number }> {
    const pid = f.server.frontPid;
    const before = { node: process.memoryUsage().rss, front: rssOf(pid) };
    const peak = { ...before };
    const sampler = setInterval(() => {
      peak.node = Math.max(peak.node, process.memoryUsage().rss);
      peak.front = Math.max(peak.front, rssOf(pid));
    }, 25);
    try {
      const value = await run();
      return {
        value,
        node: (peak.node - before.node) / MiB,
        front: (peak.front - before.front) / MiB,
      };
    } finally {
      clearInterval(sampler);
    }
  }

  describe("100 MB through UploadFile and its link", () => {
    it("arrives and comes back byte for byte, the server's memory flat both ways", async () => {
      const total = 100;
      const block = randomBytes(MiB);
      const sent = createHash("sha256");
      const boundary = "----fnbase-test-boundary";
      const head = Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      );
      const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
      function* body() {
        yield head;
        for (let i = 0; i < total; i++) {
          const chunk = Buffer.from(block);
          chunk.writeUInt32BE(i, 0);
          sent.update(chunk);
          yield chunk;
        }
        yield tail;
      }
      // Streams from a generator (nothing held here), in the shape the SDKs send.
      const up = await peakDuring(
        () =>
          new Promise<{ status: number; text: string }>((resolve, reject) => {
            const req = request(
              `${f.url}/api/apps/${f.appId}/integration-endpoints/Core/UploadFile`,
              {
                method: "POST",
                headers: {
                  authorization: `Bearer ${ada.token}`,
                  "content-type": `multipart/form-data; boundary=${boundary}`,
                  "content-length": head.length + total * MiB + tail.length,
                },
              },
            );
            req.on("response", (res) => {
              let text = "";
              res.on("data", (d) => {
                text += d;
              });
              res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
            });
            req.on("error", reject);
            Readable.from(body()).pipe(req);
          }),
      );
      expect(up.value.status, up.value.text).toBe(200);
      const { file_url } = JSON.parse(up.value.text) as { file_url: string };
      expect(file_url).toMatch(
        new RegExp(`^${f.url}/api/apps/${f.appId}/files/public/[A-Za-z0-9_-]{22}/big\\.bin$`),
      );

      const down = await peakDuring(async () => {
        const res = await fetch(file_url);
        const got = createHash("sha256");
        let size = 0;
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          size += chunk.length;
          got.update(chunk);
        }
        return { res, size, sha256: got.digest("hex") };
      });
      expect(down.value.res.status).toBe(200);
      expect(down.value.res.headers.get("content-length")).toBe(String(total * MiB));
      expect(down.value.size).toBe(total * MiB);
      expect(down.value.sha256).toBe(sent.digest("hex"));
      console.log(
        `100 MB upload: RSS grew at most ${up.node.toFixed(1)} MiB (server), ${up.front.toFixed(1)} MiB (front); download: ${down.node.toFixed(1)} MiB, ${down.front.toFixed(1)} MiB`,
      );
      // This process is the server and the client (whose 1 MiB chunks are garbage until collected);
      // the growth is the same for 400 MB as for 100 MB (42 and 40-48 MiB measured): flat.
      for (const grown of [up.node, up.front, down.node, down.front])
        expect(grown).toBeLessThan(64);
    }, 120_000);
  });

  describe("UploadFile through the SDKs", () => {
    it("answers a public link through @base44/sdk, served with its type and caching headers", async () => {
      const file = new File(["hello, world\n"], "notes.txt", { type: "text/plain" });
      const { file_url } = (await f.base44(ada).integrations.Core.UploadFile({ file })) as {
        file_url: string;
      };
      const res = await fetch(file_url);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("hello, world\n");
      const h = Object.fromEntries(res.headers);
      expect(h).toMatchObject({
        "content-type": "text/plain",
        "content-length": "13",
        "content-disposition": `inline; filename="notes.txt"; filename*=UTF-8''notes.txt`,
        "cache-control": "public, max-age=31536000, immutable, no-transform",
        "accept-ranges": "bytes",
        "x-content-type-options": "nosniff",
        "access-control-allow-origin": "*",
      });
      expect(h.etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
      expect(new Date(h["last-modified"]!).getTime()).toBeGreaterThan(0);
      // A cache that holds it asks again with the tag: nothing changes, so 304.
      const again = await fetch(file_url, { headers: { "if-none-match": h.etag! } });
      expect(again.status).toBe(304);
    });

    it("serves ranges: one range 206, a suffix, several as the whole file, outside it 416", async () => {
      const text = "0123456789abcdefghij";
      const { file_url } = (await f.base44(ada).integrations.Core.UploadFile({
        file: new File([text], "r.txt", { type: "text/plain" }),
      })) as { file_url: string };
      const cases: [string, number, string | null, string][] = [
        ["bytes=10-14", 206, "bytes 10-14/20", "abcde"],
        ["bytes=-3", 206, "bytes 17-19/20", "hij"],
        ["bytes=15-", 206, "bytes 15-19/20", "fghij"],
        ["bytes=0-1,5-6", 200, null, text],
      ];
      for (const [range, status, contentRange, body] of cases) {
        const res = await fetch(file_url, { headers: { range } });
        expect(res.status, range).toBe(status);
        expect(res.headers.get("content-range"), range).toBe(contentRange);
        expect(await res.text(), range).toBe(body);
      }
      const outside = await fetch(file_url, { headers: { range: "bytes=30-40" } });
      expect(outside.headers.get("content-range")).toBe("bytes */20");
      const err = await expectError(outside, 416, "RANGE_NOT_SATISFIABLE");
      expect(err.error).toBe('Range outside the file: "bytes=30-40" of 20 bytes');
      const head = await fetch(file_url, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-length")).toBe("20");
      expect(await head.text()).toBe("");
    });

    it("keeps the uploader's type, a safe name, and never serves a page or SVG inline", async () => {
      const cases: [string, string, string, string, boolean][] = [
        // name sent, type sent, type served, name kept, inline?
        ["page.html", "text/html", "text/html", "page.html", false],
        ["pic.svg", "image/svg+xml", "image/svg+xml", "pic.svg", false],
        ["photo.png", "image/png", "image/png", "photo.png", true],
        ["report.pdf", "", "application/pdf", "report.pdf", true],
        ["../../etc/passwd", "text/plain", "text/plain", "passwd", true],
        ["data.bin", "application/octet-stream", "application/octet-stream", "data.bin", false],
      ];
      for (const [name, type, served, kept, inline] of cases) {
        const up = await upload(
          ada,
          "UploadFile",
          new Blob(["<script>alert(1)</script>"], { type }),
          name,
        );
        const { file_url } = await json<{ file_url: string }>(up);
        expect(file_url.endsWith(`/${encodeURIComponent(kept)}`), file_url).toBe(true);
        const res = await fetch(file_url);
        await res.text();
        expect(res.headers.get("content-type"), name).toBe(served);
        expect(res.headers.get("content-disposition"), name).toMatch(
          new RegExp(
            `^${inline ? "inline" : "attachment"}; filename="${kept.replace(".", "\\.")}"`,
          ),
        );
        expect(res.headers.get("x-content-type-options")).toBe("nosniff");
        if (served !== "application/pdf") {
          expect(res.headers.get("content-security-policy")).toBe(
            "default-src 'none'; style-src 'unsafe-inline'; sandbox",
          );
        }
      }
    });

    it("refuses anonymous callers, bodies that are not multipart, and unknown endpoints", async () => {
      await expectError(
        await upload(undefined, "UploadFile", new Blob(["x"]), "x.txt"),
        401,
        "UNAUTHORIZED",
      );
      const res = await f.core("UploadFile", { file: "not a file" }, ada);
      await expectError(res, 400, "BAD_REQUEST");
      const noPart = new FormData();
      noPart.append("other", "x");
      await expectError(
        await fetch(`${f.url}/api/apps/${f.appId}/integration-endpoints/Core/UploadFile`, {
          method: "POST",
          headers: { authorization: `Bearer ${ada.token}` },
          body: noPart,
        }),
        400,
        "BAD_REQUEST",
      );
      await expectError(await f.core("NoSuchThing", {}, ada), 404, "NOT_FOUND");
      await expectError(await f.core("SendSMS", { to: "+1" }, ada), 501, "NOT_AVAILABLE");
      await expectError(
        await fetch(`${f.url}/api/apps/${f.appId}/files/public/${"A".repeat(22)}/x`),
        404,
        "NOT_FOUND",
      );
    });
  });

  describe("private files and signed links", () => {
    async function privateFile(as: User): Promise<string> {
      const { file_uri } = (await f.base44(as).integrations.Core.UploadPrivateFile({
        file: new File(["secret report"], "report.txt", { type: "text/plain" }),
      })) as { file_uri: string };
      expect(file_uri).toMatch(/^private\/[A-Za-z0-9_-]{22}\/report\.txt$/);
      return file_uri;
    }

    it("opens only through a signed link, which expires on time (default 300 s)", async () => {
      const file_uri = await privateFile(ada);
      const id = file_uri.split("/")[1];
      await expectError(
        await fetch(`${f.url}/api/apps/${f.appId}/files/private/${id}/report.txt`),
        403,
        "INVALID_SIGNATURE",
      );
      const { signed_url } = (await f
        .base44(ada)
        .integrations.Core.CreateFileSignedUrl({ file_uri })) as {
        signed_url: string;
      };
      const res = await fetch(signed_url);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("secret report");
      expect(res.headers.get("cache-control")).toBe("private, max-age=300, no-transform");
      // The public route does not serve it, even with the signature.
      await expectError(await fetch(signed_url.replace("/private/", "/public/")), 404, "NOT_FOUND");
      // Altered: the expiry pushed out, or the signature changed.
      const url = new URL(signed_url);
      const later = new URL(url);
      later.searchParams.set("expires", String(Number(url.searchParams.get("expires")) + 3600));
      await expectError(await fetch(later), 403, "INVALID_SIGNATURE");
      const forged = new URL(url);
      forged.searchParams.set("signature", "A".repeat(43));
      await expectError(await fetch(forged), 403, "INVALID_SIGNATURE");
      // 299 s later it still works; 301 s later it does not.
      now += 299_000;
      expect((await fetch(signed_url)).status).toBe(200);
      now += 2_000;
      const late = await expectError(await fetch(signed_url), 403, "INVALID_SIGNATURE");
      expect(late.error).toMatch(/^File link expired: at /);
    });

    it("takes expires_in, and lets only the owner, admins and the service role sign", async () => {
      const file_uri = await privateFile(ada);
      const { signed_url } = await json<{ signed_url: string }>(
        await f.core("CreateFileSignedUrl", { file_uri, expires_in: 60 }, ada),
      );
      expect((await fetch(signed_url)).headers.get("cache-control")).toBe(
        "private, max-age=60, no-transform",
      );
      await expectError(await f.core("CreateFileSignedUrl", { file_uri }, bob), 404, "NOT_FOUND");
      await json(await f.core("CreateFileSignedUrl", { file_uri }, boss));
      await json(await f.core("CreateFileSignedUrl", { file_uri }, "service"));
      for (const bad of [0, -1, 1.5, "60", 8 * 24 * 3600]) {
        await expectError(
          await f.core("CreateFileSignedUrl", { file_uri, expires_in: bad }, ada),
          400,
          "BAD_REQUEST",
        );
      }
      for (const uri of ["private/../../x", "public/abc", 42]) {
        await expectError(
          await f.core("CreateFileSignedUrl", { file_uri: uri }, ada),
          400,
          "BAD_REQUEST",
        );
      }
    });
  });

  describe("a caller who leaves mid-upload", () => {
    it("leaves no file and no temporary bytes behind", async () => {
      const before = await readdir(join(f.dataDir, "files", f.appId, "public"));
      const boundary = "cut-off";
      const req = request(`${f.url}/api/apps/${f.appId}/integration-endpoints/Core/UploadFile`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${ada.token}`,
          "content-type": `multipart/form-data; boundary=${boundary}`,
          "content-length": 10 * MiB,
        },
      });
      req.on("error", () => {});
      req.write(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="gone.bin"\r\n\r\n`,
      );
      req.write(randomBytes(MiB));
      // Once the server has started writing the file, the caller goes away.
      await vi.waitFor(
        async () => expect(await readdir(join(f.dataDir, "files", ".tmp"))).toHaveLength(1),
        {
          timeout: 10_000,
          interval: 10,
        },
      );
      req.destroy();
      await vi.waitFor(
        async () => expect(await readdir(join(f.dataDir, "files", ".tmp"))).toEqual([]),
        {
          timeout: 10_000,
          interval: 10,
        },
      );
      expect(await readdir(join(f.dataDir, "files", f.appId, "public"))).toEqual(before);
    });
  });

  describe("inside a function", () => {
    it("uploads a private backup through npm:@base44/sdk and signs a link to it", async () => {
      const deployed = await f.admin(`/api/apps/${f.appId}/backend-functions/backup`, {
        method: "PUT",
        body: JSON.stringify({
          entry: "entry.ts",
          files: [
            {
              path: "entry.ts",
              content: `
  import { createClientFromRequest } from "npm:@base44/sdk@0.8.6";
  Deno.serve(async (req) => {
    const base44 = createClientFromRequest(req);
    const file = new File([JSON.stringify({ orders: 3 })], "backup.json", { type: "application/json" });
    const { file_uri } = await base44.asServiceRole.integrations.Core.UploadPrivateFile({ file });
    const { signed_url } = await base44.asServiceRole.integrations.Core.CreateFileSignedUrl({ file_uri, expires_in: 120 });
    const { file_url } = await base44.integrations.Core.UploadFile({ file: new File(["hi"], "hi.txt", { type: "text/plain" }) });
    return Response.json({ file_uri, signed_url, file_url });
  });`,
            },
          ],
        }),
      });
      expect(deployed.status).toBe(200);
      const res = await fetch(`${f.url}/api/apps/${f.appId}/functions/backup`, {
        method: "POST",
        headers: { authorization: `Bearer ${ada.token}` },
      });
      const out = await json<{ file_uri: string; signed_url: string; file_url: string }>(res);
      expect(out.file_uri).toMatch(/^private\/[A-Za-z0-9_-]{22}\/backup\.json$/);
      const backup = await fetch(out.signed_url);
      expect(backup.headers.get("content-type")).toBe("application/json");
      expect(await backup.json()).toEqual({ orders: 3 });
      expect(await (await fetch(out.file_url)).text()).toBe("hi");
      // Uploaded by the service role for ada: hers to sign.
      await json(await f.core("CreateFileSignedUrl", { file_uri: out.file_uri }, ada));
    }, 60_000);
  });

  describe("limits per app", () => {
    it("refuses a file over the app's limit and past its total, leaving nothing behind", async () => {
      const created = await f.admin("/api/apps", {
        method: "POST",
        body: JSON.stringify({ name: "small", id: "small" }),
      });
      expect(created.status).toBe(201);
      const reg = await fetch(`${f.url}/api/apps/small/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "cy@example.com", password: "correct horse" }),
      });
      const cy = {
        ...((await reg.json()) as { user: { id: string } }).user,
        email: "cy@example.com",
        token: "",
      };
      cy.token = (
        (await (
          await fetch(`${f.url}/api/apps/small/auth/login`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ email: "cy@example.com", password: "correct horse" }),
          })
        ).json()) as { access_token: string }
      ).access_token;

      const big = await expectError(
        await upload(cy, "UploadFile", new Blob([Buffer.alloc(1025)]), "big.bin", "small"),
        413,
        "PAYLOAD_TOO_LARGE",
      );
      expect(big.error).toBe("File too large: the limit is 1024 bytes (0.0 MiB)");
      await json(await upload(cy, "UploadFile", new Blob([Buffer.alloc(1000)]), "a.bin", "small"));
      await json(await upload(cy, "UploadFile", new Blob([Buffer.alloc(1000)]), "b.bin", "small"));
      // 2,000 of 2,500 bytes used: 600 more do not fit.
      await expectError(
        await upload(cy, "UploadFile", new Blob([Buffer.alloc(600)]), "c.bin", "small"),
        413,
        "PAYLOAD_TOO_LARGE",
      );
      // A body that ends before its closing boundary: a 400, and nothing kept.
      const cut = await fetch(`${f.url}/api/apps/small/integration-endpoints/Core/UploadFile`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${cy.token}`,
          "content-type": "multipart/form-data; boundary=XYZ",
        },
        body: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="cut.bin"\r\n\r\npartial bytes',
      });
      await expectError(cut, 400, "BAD_REQUEST");
      expect(await readdir(join(f.dataDir, "files", "small", "public"))).toHaveLength(2);
      expect(await readdir(join(f.dataDir, "files", ".tmp"))).toEqual([]);
    });
  });
});
