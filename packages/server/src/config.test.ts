import type { FnbaseError } from "@fnbase/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { resolveOptions } from "./config.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("resolveOptions(): npmRegistry", () => {
  it("is unset by default (instances inherit NPM_CONFIG_REGISTRY)", () => {
    vi.stubEnv("FNBASE_NPM_REGISTRY", "");
    expect(resolveOptions({}).npmRegistry).toBeUndefined();
  });

  it("comes from FNBASE_NPM_REGISTRY, and the option wins over it", () => {
    vi.stubEnv("FNBASE_NPM_REGISTRY", "https://npm.example.com/");
    expect(resolveOptions({}).npmRegistry).toBe("https://npm.example.com/");
    expect(resolveOptions({ npmRegistry: "http://127.0.0.1:4873/" }).npmRegistry).toBe(
      "http://127.0.0.1:4873/",
    );
  });

  it.each(["registry.example.com", "ftp://registry.example.com/", "file:///srv/npm"])(
    "refuses %s with CONFIG_INVALID",
    (url) => {
      expect(() => resolveOptions({ npmRegistry: url })).toThrowError(
        expect.objectContaining({
          code: "CONFIG_INVALID",
          message: `Invalid npm registry URL: "${url}"`,
        }) as FnbaseError,
      );
    },
  );
});
