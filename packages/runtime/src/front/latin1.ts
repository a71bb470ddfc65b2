/**
 * HTTP heads as ISO-8859-1: one character per byte, both ways, as node:http and Deno.serve read
 * and write them (RFC 9110 allows any byte from 0x80 up in a field value). A caller's `é` sent as
 * the byte 0xE9 reaches the function as U+00E9, and a function's U+00E9 reaches the caller as
 * 0xE9, on every path.
 */

const utf8 = new TextDecoder();
const enc = new TextEncoder();

/** `bytes` as ISO-8859-1. */
export function latin1(bytes: Uint8Array): string {
  // Deno decodes UTF-8 natively: an answer as long as the input with no replacement character
  // means every byte was ASCII, where both encodings agree.
  const text = utf8.decode(bytes);
  if (text.length === bytes.length && !text.includes("\uFFFD")) return text;
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

/**
 * Writes `text` (characters up to U+00FF) into `out` as ISO-8859-1 and returns the bytes
 * written; `out` must hold at least `text.length` bytes.
 */
export function latin1Into(text: string, out: Uint8Array): number {
  const { read, written } = enc.encodeInto(text, out);
  if (read === text.length && written === read) return written; // ASCII
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return text.length;
}

/** `text` (characters up to U+00FF) as ISO-8859-1 bytes. */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  latin1Into(text, out);
  return out;
}
