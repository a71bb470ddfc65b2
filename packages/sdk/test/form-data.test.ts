import { describe, expect, it } from "vitest";
import { encodeInvokeBody, toFormData } from "../src/form-data.js";

describe("encodeInvokeBody()", () => {
  it("refuses a string with a TypeError naming the function", () => {
    expect(() => encodeInvokeBody("greet", "hello")).toThrow(TypeError);
    expect(() => encodeInvokeBody("greet", "hello")).toThrow(
      /Cannot invoke "greet": data must be an object of named parameters/,
    );
  });

  it("sends plain objects, arrays and no data as JSON", () => {
    expect(encodeInvokeBody("f", { a: 1 })).toEqual({
      body: { a: 1 },
      contentType: "application/json",
    });
    expect(encodeInvokeBody("f", [1, 2]).contentType).toBe("application/json");
    expect(encodeInvokeBody("f", undefined)).toEqual({
      body: undefined,
      contentType: "application/json",
    });
  });

  it("passes a FormData through untouched", () => {
    const form = new FormData();
    form.append("x", "1");
    const encoded = encodeInvokeBody("f", form);
    expect(encoded.body).toBe(form);
    expect(encoded.contentType).toBe("multipart/form-data");
  });

  it("switches to multipart when a value is a File or a Blob", () => {
    const file = new File(["abc"], "a.txt", { type: "text/plain" });
    expect(encodeInvokeBody("f", { file }).contentType).toBe("multipart/form-data");
    expect(encodeInvokeBody("f", { blob: new Blob(["x"]) }).contentType).toBe(
      "multipart/form-data",
    );
    expect(encodeInvokeBody("f", { files: [file, file] }).contentType).toBe("multipart/form-data");
  });
});

describe("toFormData()", () => {
  it("keeps file names, JSON-encodes objects, stringifies the rest and skips undefined", async () => {
    const file = new File([new Uint8Array([0, 255, 7])], "photo.png", { type: "image/png" });
    const form = toFormData({
      file,
      blob: new Blob(["raw"]),
      meta: { tags: ["a", "b"] },
      list: [1, 2],
      count: 3,
      ok: true,
      none: null,
      missing: undefined,
      name: "Ada",
    });
    const got = form.get("file") as File;
    expect(got.name).toBe("photo.png");
    expect(got.type).toBe("image/png");
    expect([...new Uint8Array(await got.arrayBuffer())]).toEqual([0, 255, 7]);
    expect((form.get("blob") as File).name).toBe("blob");
    expect(form.get("meta")).toBe('{"tags":["a","b"]}');
    expect(form.get("list")).toBe("[1,2]");
    expect(form.get("count")).toBe("3");
    expect(form.get("ok")).toBe("true");
    expect(form.get("none")).toBe("null");
    expect(form.has("missing")).toBe(false);
    expect(form.get("name")).toBe("Ada");
  });

  it("sends an array of files as one part per file under the same key", () => {
    const form = toFormData({ files: [new File(["1"], "one.txt"), new File(["2"], "two.txt")] });
    expect(form.getAll("files").map((f) => (f as File).name)).toEqual(["one.txt", "two.txt"]);
  });
});
