import type { Command } from "commander";
import { register as generate } from "./generate.js";

/** `fnbase types <verb>`. */
export function register(parent: Command): void {
  const noun = parent.command("types").description("Generate TypeScript types for the project");
  generate(noun);
}
