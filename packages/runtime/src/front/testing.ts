/** What the front's Deno tests (http1_test.ts, server_test.ts) share. */

/** Throws unless `actual` and `expected` are the same as JSON. */
export function assertEquals(actual: unknown, expected: unknown, what = ""): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what} expected ${e}, got ${a}`);
}
