/**
 * Automations: functions started by the platform, on a schedule (one-time, cron, simple
 * repeats; UTC) or on entity events, as `function.jsonc`'s `automations` or the automations
 * API define them. `definition.ts`/`shape.ts`/`validate.ts` check them as the Base44 CLI does,
 * `schedule.ts` computes their ticks, `scheduler.ts` queues due ticks, the store queues entity
 * events in the writes' own transactions, `dispatcher.ts` delivers runs through `invoke.ts`
 * (the server's public URL, as the owner or the service role), `service.ts` and `routes.ts`
 * are the API, and `engine.ts` puts them together for the server.
 */

export { parseStartTime, parseUtcDate } from "./dates.js";
export type * from "./definition.js";
export { writeDepth } from "./depth.js";
export { Dispatcher, type DispatcherDeps } from "./dispatcher.js";
export { AutomationEngine, type AutomationEngineDeps, type AutomationSettings } from "./engine.js";
export { entityEvent, MAX_EVENT_BYTES, runBody } from "./event-payload.js";
export { type Attempt, AutomationInvoker, type InvokerDeps } from "./invoke.js";
export { type AutomationRoutesDeps, automationRoutes } from "./routes.js";
export { compileSchedule, type Schedule, ScheduleError } from "./schedule.js";
export { planTick, Scheduler } from "./scheduler.js";
export { AutomationService, type AutomationServiceDeps } from "./service.js";
export { type ValidateOptions, validateAutomation, validateAutomations } from "./validate.js";
export type { AutomationStatus, AutomationView, RunView } from "./views.js";
