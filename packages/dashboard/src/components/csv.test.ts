import { describe, expect, it } from "vitest";
import { toCsv } from "./csv.js";

describe("toCsv()", () => {
  it("quotes what needs quoting and writes objects as JSON", () => {
    const csv = toCsv(
      ["id", "item", "tags", "note"],
      [
        { id: "a", item: "tea, green", tags: ["x", "y"], note: 'say "hi"' },
        { id: "b", item: "line\nbreak", tags: null },
      ],
    );
    expect(csv).toBe(
      'id,item,tags,note\r\na,"tea, green","[""x"",""y""]","say ""hi"""\r\nb,"line\nbreak",,\r\n',
    );
  });
});
