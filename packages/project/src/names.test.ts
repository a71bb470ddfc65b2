import { FnbaseError } from "@fnbase/shared";
import { describe, expect, it } from "vitest";
import { validateFunctionName } from "./index.js";

describe("validateFunctionName()", () => {
  it("returns the trimmed name for valid names", () => {
    expect(validateFunctionName(" orders/process ")).toBe("orders/process");
    expect(validateFunctionName("send_email-v2")).toBe("send_email-v2");
    expect(validateFunctionName("A/b/C9")).toBe("A/b/C9");
  });

  it.each([
    ["", "name is empty"],
    ["   ", "name is empty"],
    ["a.b", "contains a dot"],
    ["orders/.hidden", "contains a dot"],
    ["a//b", "empty segment"],
    ["/a", 'starts or ends with "/"'],
    ["a/", 'starts or ends with "/"'],
    ["a\\b", "backslashes"],
    ["my fn", "only letters"],
    ["café", "only letters"],
  ])("throws INVALID_NAME for %j", (name, detail) => {
    let error: unknown;
    try {
      validateFunctionName(name);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FnbaseError);
    expect((error as FnbaseError).code).toBe("INVALID_NAME");
    expect((error as FnbaseError).message).toContain(`"${name}"`);
    expect((error as FnbaseError).message).toContain(detail);
  });
});
