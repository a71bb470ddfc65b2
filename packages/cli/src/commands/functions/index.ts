import type { Command } from "commander";
import { register as del } from "./delete.js";
import { register as history } from "./history.js";
import { register as list } from "./list.js";
import { register as pull } from "./pull.js";
import { register as rollback } from "./rollback.js";

/** `fnbase functions <verb>`. */
export function register(parent: Command): void {
  const noun = parent.command("functions").description("Manage deployed functions");
  for (const r of [list, del, pull, history, rollback]) r(noun);
}
