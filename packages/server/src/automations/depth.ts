import { decodeJwt } from "jose";
import { parseBearer } from "../auth/tokens.js";

/**
 * The automation chain depth a write carries: the `fnb_depth` claim of its bearer token (the
 * tokens an automation run is given; see `TokenClaims.depth`), else 0. Read after the token
 * was verified (the entity routes resolve the caller first), so decoding is enough.
 *
 * @example
 * writeDepth(c.req.header("authorization")); // 0 for a user's own token
 */
export function writeDepth(authorization: string | undefined): number {
  const token = parseBearer(authorization);
  if (!token || token.startsWith("b44k_")) return 0;
  try {
    const d = decodeJwt(token).fnb_depth;
    return typeof d === "number" && Number.isInteger(d) && d >= 0 ? d : 0;
  } catch {
    return 0;
  }
}
