/** The facts about the generator's machine that a reader of results needs to judge the numbers. */
import os from 'node:os';
import { createRequire } from 'node:module';
import { fdLimit, kernelRelease, portRange } from '../probes/proc.js';
import type { Environment } from '../results/types.js';

const require = createRequire(import.meta.url);

export function wsherdVersion(): string {
  try {
    return (require('../../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export function describeEnvironment(workers: number): Environment {
  return {
    wsherdVersion: wsherdVersion(),
    node: process.version,
    platform: process.platform,
    kernel: kernelRelease() || os.release(),
    arch: process.arch,
    cpus: os.availableParallelism(),
    memTotalBytes: os.totalmem(),
    fdLimit: fdLimit(),
    portRange: portRange(),
    workers,
  };
}
