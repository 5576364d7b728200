#!/usr/bin/env node
// The CLI entry point: oclif loads the compiled commands from dist/commands (built by `npm ci` via `prepare`).
// Signals are noted from the first instruction (early-signals.js), so Ctrl-C during start-up is not lost.
import '../dist/src/cli/early-signals.js';
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
