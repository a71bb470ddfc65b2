import { createHash } from "node:crypto";
import type { ValidDeploy } from "./validate.js";

/** The content hash of a deploy: equal for equal entry, files and automations. */
export function contentHash(d: Pick<ValidDeploy, "entry" | "files" | "automations">): string {
  const h = createHash("sha256");
  h.update(JSON.stringify({ entry: d.entry, automations: d.automations }));
  for (const f of d.files) {
    h.update("\0");
    h.update(f.path);
    h.update("\0");
    h.update(f.content);
  }
  return h.digest("hex");
}
