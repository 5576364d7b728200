/**
 * Preloaded into a measured CLI process (`node --import <this> bin/run.js …`, bench/merge-cost.ts): at its exit,
 * its peak resident set size (VmHWM, bytes) is written to $WSHERD_BENCH_HWM_FILE. A sample at the exit sees the
 * peak of the run's last moments — analysing and writing the results — which a parent polling /proc could miss.
 * Workers are forked with their own execArgv, so only the coordinator loads it.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env['WSHERD_BENCH_HWM_FILE'];
if (file !== undefined && file !== '') {
  process.on('exit', () => {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m !== null) writeFileSync(file, String(Number(m[1]) * 1024));
  });
}
