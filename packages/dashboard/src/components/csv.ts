/**
 * Records as CSV (RFC 4180): a header of the given columns, then one line per record; objects
 * and arrays as JSON, every field quoted when it holds a comma, quote or line break. Written
 * here rather than taken from a CSV library: the server parses imports (csv-parse), and writing
 * CSV is these few lines.
 */
export function toCsv(columns: string[], records: Record<string, unknown>[]): string {
  const cell = (v: unknown): string => {
    if (v === undefined || v === null) return "";
    const s = typeof v === "object" ? JSON.stringify(v) : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [columns.map(cell).join(",")];
  for (const r of records) lines.push(columns.map((c) => cell(r[c])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/** Saves `text` as a file through the browser's download. */
export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
