import type { Command } from "commander";
import { register as disable } from "./disable.js";
import { register as enable } from "./enable.js";
import { register as list } from "./list.js";
import { register as owner } from "./owner.js";
import { register as run } from "./run.js";
import { register as runs } from "./runs.js";

/** `fnbase automations <verb>`. */
export function register(parent: Command): void {
  const noun = parent
    .command("automations")
    .description(
      "List, run, enable and disable automations (schedules and entity events), and set who they run as",
    );
  for (const r of [list, runs, run, enable, disable, owner]) r(noun);
}
