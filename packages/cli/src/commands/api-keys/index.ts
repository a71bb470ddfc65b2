import type { Command } from "commander";
import { register as create } from "./create.js";
import { register as list } from "./list.js";
import { register as revoke } from "./revoke.js";

/** `fnbase api-keys <verb>`. */
export function register(parent: Command): void {
  const noun = parent
    .command("api-keys")
    .description("Create, list and revoke workspace API keys (admin key only)");
  for (const r of [create, list, revoke]) r(noun);
}
