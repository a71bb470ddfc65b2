export { CSRF_HEADER, SESSION_COOKIE } from "./guard.js";
export { AS_HEADER } from "./relay.js";
export { type DashboardDeps, mountDashboard } from "./routes.js";
export { type Session, type SessionCredential, SessionStore } from "./sessions.js";
export { dashboardCsp } from "./static.js";
