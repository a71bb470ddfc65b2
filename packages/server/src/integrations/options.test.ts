import { describe, expect, it } from "vitest";
import { parseModelMap, resolveIntegrationOptions } from "./options.js";

describe("resolveIntegrationOptions()", () => {
  it("defaults to disk, 50 MiB files, nothing configured", () => {
    const o = resolveIntegrationOptions({});
    expect(o).toMatchObject({
      fileStorage: "disk",
      maxFileBytes: 50 * 1024 ** 2,
      smtpUrl: undefined,
      llmUrl: undefined,
      llmModels: {},
    });
  });

  it("picks s3 when a bucket is given, and trims trailing slashes of URLs", () => {
    const o = resolveIntegrationOptions({
      s3: { bucket: "b" },
      llmUrl: "http://localhost:11434/v1/",
      publicUrl: "https://fn.example.com/",
    });
    expect(o).toMatchObject({
      fileStorage: "s3",
      s3: { bucket: "b" },
      llmUrl: "http://localhost:11434/v1",
      publicUrl: "https://fn.example.com",
      filesUrl: "https://fn.example.com",
    });
  });

  it.each([
    [{ smtpUrl: "http://mail.example.com" }, 'Invalid SMTP URL: "http://mail.example.com"'],
    [{ llmUrl: "localhost:11434" }, 'Invalid LLM URL: "localhost:11434"'],
    [{ fileStorage: "s3" as const }, "The s3 file storage needs a bucket"],
    [{ maxFileBytes: 0 }, 'Invalid maxFileBytes: "0"'],
    [{ fileStorage: "ftp" as never }, 'Invalid file storage: "ftp"'],
  ])("refuses %j", (options, message) => {
    expect(() => resolveIntegrationOptions(options)).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", message }),
    );
  });
});

describe("parseModelMap()", () => {
  it("reads name=model pairs", () => {
    expect(parseModelMap(" gpt_5_mini=llama3.2, claude_sonnet_4_6 = qwen3 ,")).toEqual({
      gpt_5_mini: "llama3.2",
      claude_sonnet_4_6: "qwen3",
    });
  });
  it.each(["gpt_5_mini", "=x", "a="])("refuses %j", (text) => {
    expect(() => parseModelMap(text)).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
  });
});
