#!/usr/bin/env -S node --max-semi-space-size=4
// The `fnbase` command: a shim over the compiled CLI (`npx tsc -b packages/cli` builds it).
// Node's young generation is capped at 4 MB semi-spaces, as the Deno processes' are
// (`denoRun`): V8's default grows them to 16 MB, 18 MB more for an idle server after 1,000
// deploys (126 -> 108 MB), at no measured cost to entity calls (npm run bench:entities). The
// same flag runs `npm start` and the benchmarks (the root package.json).
import { main } from "../dist/index.js";

process.exitCode = await main(process.argv);
