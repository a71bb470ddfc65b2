import type { Command } from "commander";
import { register as del } from "./delete.js";
import { register as list } from "./list.js";
import { register as set } from "./set.js";

/** `fnbase secrets <verb>`. */
export function register(parent: Command): void {
  const noun = parent.command("secrets").description("Manage an app's secrets");
  for (const r of [set, list, del]) r(noun);
}
