import { describe, expect, it } from "vitest";
import { contentDisposition, fileContentType, safeFileName, servedInline } from "./content-type.js";

describe("fileContentType()", () => {
  it.each([
    ["Image/PNG; q=1", "a.png", "image/png"],
    ["", "report.pdf", "application/pdf"],
    [undefined, "notes.txt", "text/plain"],
    ["application/octet-stream", "photo.jpg", "image/jpeg"],
    ["application/octet-stream", "blob", "application/octet-stream"],
    ["text/html\r\nX-Evil: 1", "x", "application/octet-stream"],
    ["not a type", "data.csv", "text/csv"],
  ])("keeps %j for %j as %j", (sent, name, expected) => {
    expect(fileContentType(sent, name)).toBe(expected);
  });
});

describe("servedInline()", () => {
  it.each([
    ["image/png", true],
    ["video/mp4", true],
    ["application/pdf", true],
    ["text/plain", true],
    ["image/svg+xml", false],
    ["text/html", false],
    ["application/xhtml+xml", false],
    ["text/javascript", false],
    ["application/octet-stream", false],
  ])("%s inline: %s", (type, inline) => {
    expect(servedInline(type)).toBe(inline);
  });
});

describe("safeFileName() and contentDisposition()", () => {
  it.each([
    ["../../etc/passwd", "passwd"],
    ["C:\\x\\a\nb.txt", "ab.txt"],
    ['say "hi".txt', "say hi.txt"],
    ["..", "file"],
    ["", "file"],
    [undefined, "file"],
    ["x".repeat(300), "x".repeat(200)],
  ])("%j is kept as %j", (sent, kept) => {
    expect(safeFileName(sent)).toBe(kept);
  });

  it("puts an ASCII name and the exact UTF-8 one in the header", () => {
    expect(contentDisposition("attachment", "résumé (1).pdf")).toBe(
      "attachment; filename=\"r_sum_ (1).pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%281%29.pdf",
    );
  });
});
