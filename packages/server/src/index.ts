export type { FunctionOutputLine, ServerOptions } from "./config.js";
export type { DeployResult } from "./deploy/deployer.js";
export type { DevServer, DevServerOptions } from "./dev/dev-server.js";
export { startDevServer } from "./dev/dev-server.js";
export type { InvocationRecord } from "./gateway/gateway.js";
export { startServer } from "./server.js";
export type { FnbaseServer } from "./server-types.js";
export type { AppRecord } from "./store/index.js";
