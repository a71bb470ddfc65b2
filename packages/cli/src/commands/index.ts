import type { Command } from "commander";
import { register as apiKeys } from "./api-keys/index.js";
import { register as apps } from "./apps/index.js";
import { register as automations } from "./automations/index.js";
import { register as deploy } from "./deploy.js";
import { register as dev } from "./dev.js";
import { register as entities } from "./entities/index.js";
import { register as functions } from "./functions/index.js";
import { register as init } from "./init.js";
import { register as invoke } from "./invoke.js";
import { register as link } from "./link.js";
import { register as login } from "./login.js";
import { register as logout } from "./logout.js";
import { register as logs } from "./logs.js";
import { register as secrets } from "./secrets/index.js";
import { register as server } from "./server.js";
import { register as types } from "./types/index.js";
import { register as whoami } from "./whoami.js";

/** Registers every command on the program, in the order `--help` lists them. */
export function registerAll(program: Command): void {
  const all = [
    init,
    dev,
    server,
    login,
    logout,
    whoami,
    apiKeys,
    apps,
    link,
    deploy,
    functions,
    entities,
    automations,
    invoke,
    secrets,
    logs,
    types,
  ];
  for (const register of all) register(program);
}
