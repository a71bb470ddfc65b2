// Node-side locator for the dashboard. Everything under src/ runs in the browser; the server
// serves the build (dist/) at /_/.
import { fileURLToPath } from "node:url";

/** Absolute path of the built dashboard (index.html and assets/), written by `npm run build`. */
export const dashboardDir = fileURLToPath(new URL("./dist/", import.meta.url));
