#!/usr/bin/env node
// The CLI entry point: oclif loads the compiled commands from dist/commands (built by `npm ci` via `prepare`).
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
