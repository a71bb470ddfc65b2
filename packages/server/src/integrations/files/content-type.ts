import mime from "mime-types";

const TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/**
 * The content type a file is kept and served with: the uploader's, lower-cased and without
 * parameters, when it is a well-formed `type/subtype`; else (absent, malformed, or the generic
 * `application/octet-stream`) the type of the name's extension; else `application/octet-stream`.
 *
 * @example
 * fileContentType("Image/PNG; q=1", "a.png");        // "image/png"
 * fileContentType("", "report.pdf");                  // "application/pdf"
 * fileContentType("text/html\r\nX-Evil: 1", "x");    // "application/octet-stream"
 */
export function fileContentType(sent: string | undefined, name: string): string {
  const type = (sent ?? "").split(";")[0]!.trim().toLowerCase();
  if (TYPE.test(type) && type !== "application/octet-stream") return type;
  const guessed = mime.lookup(name);
  return guessed && TYPE.test(guessed) ? guessed : "application/octet-stream";
}

/**
 * Types a browser shows without running anything of the file's: images (not SVG), audio, video,
 * PDF, plain text, CSV and JSON. Everything else (HTML, SVG, XML, scripts, unknown types) is
 * served as an attachment, so an uploaded page never renders on the server's origin.
 */
export function servedInline(type: string): boolean {
  if (type === "image/svg+xml") return false;
  return (
    /^(image|audio|video)\//.test(type) ||
    type === "application/pdf" ||
    type === "text/plain" ||
    type === "text/csv" ||
    type === "application/json"
  );
}

/**
 * A file name safe to keep and to put in a header: the last path segment of what the uploader
 * sent, without control characters, at most 200 characters; `file` when nothing is left.
 *
 * @example
 * safeFileName("../../etc/passwd"); // "passwd"
 * safeFileName("C:\\x\\a\nb.txt");   // "ab.txt"
 */
export function safeFileName(sent: string | undefined): string {
  const last = (sent ?? "").split(/[/\\]/).pop() ?? "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  const clean = last.replace(/[\u0000-\u001f\u007f"]/g, "").trim();
  const cut = [...clean].slice(0, 200).join("");
  return cut === "" || cut === "." || cut === ".." ? "file" : cut;
}

/**
 * `Content-Disposition` for a file (RFC 6266): `inline` or `attachment`, an ASCII `filename`
 * and the exact name as `filename*` (UTF-8, percent-encoded).
 *
 * @example
 * contentDisposition("attachment", "résumé.pdf");
 * // attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf
 */
export function contentDisposition(kind: "inline" | "attachment", name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
