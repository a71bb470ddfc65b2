#!/usr/bin/env node
// The `fnbase` command: a shim over the compiled CLI (`npx tsc -b packages/cli` builds it).
import { main } from "../dist/index.js";

process.exitCode = await main(process.argv);
