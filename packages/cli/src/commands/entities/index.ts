import type { Command } from "commander";
import { register as list } from "./list.js";
import { register as pull } from "./pull.js";
import { register as push } from "./push.js";

/** `fnbase entities <verb>`. */
export function register(parent: Command): void {
  const noun = parent
    .command("entities")
    .description("Manage the app's entity schemas (base44/entities/*.jsonc)");
  for (const r of [push, pull, list]) r(noun);
}
