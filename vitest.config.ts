import { defineConfig } from "vitest/config";

/**
 * Files that need a process of their own: they look at the whole process (its sockets) or at
 * globals another file's imports replace (`@hono/node-server` swaps the global `Response`).
 */
const ISOLATED = ["packages/sdk/test/**/*.test.ts", "packages/server/test/internal-socket.test.ts"];

const INCLUDE = [
  "packages/*/src/**/*.test.ts",
  "packages/*/test/**/*.test.ts",
  "test/**/*.test.ts",
];

export default defineConfig({
  // Workspace packages resolve to their TypeScript source in tests (the "source" export
  // condition), so a test never runs against a stale dist/.
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "shared",
          include: INCLUDE,
          exclude: ISOLATED,
          // Files run one after another in each worker process without reloading the modules
          // they share (the server's source, transformed once per worker): about a third less
          // time than a fresh process per file. Every file starts and closes its own servers.
          isolate: false,
          typecheck: {
            enabled: true,
            include: ["packages/*/test/**/*.test-d.ts"],
            tsconfig: "tsconfig.test.json",
          },
        },
      },
      { extends: true, test: { name: "isolated", include: ISOLATED, isolate: true } },
    ],
  },
});
