import type { Command } from "commander";
import { register as create } from "./create.js";
import { register as list } from "./list.js";

/** `fnbase apps <verb>`. */
export function register(parent: Command): void {
  const noun = parent.command("apps").description("Create and list apps");
  for (const r of [create, list]) r(noun);
}
