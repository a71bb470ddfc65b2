/**
 * `@fnbase/project`: reads a local Base44-style project (`base44/config.jsonc`, functions,
 * shared files, entity schemas, app link) for the dev server and the CLI.
 *
 * @module
 */
export { readAppLink, writeAppLink } from "./app-link.js";
export { findProjectRoot } from "./config.js";
export type { DeployBody } from "./deploy-body.js";
export { deployBody, localMessage, projectPath } from "./deploy-body.js";
export type { Dotenv, DotenvProblem } from "./dotenv.js";
export { parseDotenv } from "./dotenv.js";
export { isObject, type JsoncResult, parseJsonc } from "./jsonc.js";
export { loadProject } from "./load.js";
export { ENTITY_NAME_PATTERN, isEntityName, validateFunctionName } from "./names.js";
export type {
  DiscoveryNote,
  DiscoveryProblem,
  LocalEntity,
  LocalFunction,
  Project,
  ProjectFile,
} from "./types.js";
