/**
 * The S3 file storage against a real S3 protocol server the test runs (`s3rver`: S3's REST API
 * over HTTP, multipart uploads and ranged reads included, files on disk), through the same
 * Core routes as the disk storage. A MinIO or AWS bucket takes the same settings
 * (`FNBASE_S3_BUCKET`, `FNBASE_S3_ENDPOINT`, keys).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "../helpers.js";
import { type Fixture, fixture, type User } from "./integration-helpers.js";

const MiB = 1024 * 1024;
let s3: S3rver;
let s3Dir: string;
let endpoint: string;
let f: Fixture;
let ada: User;

beforeAll(async () => {
  s3Dir = await mkdtemp(join(tmpdir(), "fnbase-s3rver-"));
  s3 = new S3rver({
    port: 0,
    address: "127.0.0.1",
    directory: s3Dir,
    silent: true,
    configureBuckets: [{ name: "uploads", configs: [] }],
  });
  const address = (await s3.run()) as AddressInfo;
  endpoint = `http://127.0.0.1:${address.port}`;
  f = await fixture({
    s3: {
      bucket: "uploads",
      endpoint,
      prefix: "fnbase/",
      accessKeyId: "S3RVER",
      secretAccessKey: "S3RVER",
    },
    maxFileBytes: 20 * MiB,
  });
  ada = await f.user("ada@example.com");
}, 120_000);
afterAll(async () => {
  await f?.close();
  await s3?.close();
  await rm(s3Dir, { recursive: true, force: true });
});

async function keys(): Promise<string[]> {
  const client = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  const out = await client.send(new ListObjectsV2Command({ Bucket: "uploads" }));
  client.destroy();
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

describe("files in an S3 bucket", () => {
  it("uploads 12 MB as a multipart upload, and serves it whole and in ranges", async () => {
    const bytes = randomBytes(12 * MiB);
    const { file_url } = (await f.fnbase(ada).integrations.Core.UploadFile({
      file: new File([bytes], "video.mp4", { type: "video/mp4" }),
    })) as { file_url: string };
    const id = /\/files\/public\/([^/]+)\//.exec(file_url)![1];
    expect(await keys()).toContain(`fnbase/${f.appId}/public/${id}`);

    const whole = await fetch(file_url);
    expect(whole.headers.get("content-type")).toBe("video/mp4");
    const got = Buffer.from(await whole.arrayBuffer());
    expect(createHash("sha256").update(got).digest("hex")).toBe(
      createHash("sha256").update(bytes).digest("hex"),
    );
    const part = await fetch(file_url, { headers: { range: `bytes=${6 * MiB}-${6 * MiB + 9}` } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(6 * MiB, 6 * MiB + 10));
  });

  it("signs private files, and leaves no object behind an upload over the limit", async () => {
    const core = f.base44(ada).integrations.Core;
    const { file_uri } = (await core.UploadPrivateFile({
      file: new File(["private bytes"], "p.txt", { type: "text/plain" }),
    })) as { file_uri: string };
    const { signed_url } = (await core.CreateFileSignedUrl({ file_uri })) as { signed_url: string };
    expect(await (await fetch(signed_url)).text()).toBe("private bytes");

    const before = await keys();
    const form = new FormData();
    // Under the declared-length check, so the limit hits mid-upload, after parts went to S3.
    form.append("file", new Blob([Buffer.alloc(20 * MiB + 1000)]), "too-big.bin");
    const res = await fetch(`${f.url}/api/apps/${f.appId}/integration-endpoints/Core/UploadFile`, {
      method: "POST",
      headers: { authorization: `Bearer ${ada.token}` },
      body: form,
    });
    await expectError(res, 413, "PAYLOAD_TOO_LARGE");
    expect(await keys()).toEqual(before);
  });
});
