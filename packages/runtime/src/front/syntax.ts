/**
 * HTTP/1.1 message syntax (RFC 9110/9112) as the front's server and client check it, written
 * once so that what one side refuses the other cannot let through. Heads are read as ISO-8859-1
 * (latin1.ts), so a character is a byte.
 */

/** A header name: one or more token characters. */
export const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";

/** A header value's bytes: visible ASCII, space, tab and obs-text (0x80-0xFF); no control characters. */
export const FIELD_VALUE = "[\\t\\x20-\\x7e\\x80-\\xff]*";

/** A Content-Length the front accepts: digits only, at most 15 (within exact integers). */
export const LENGTH = /^\d{1,15}$/;
