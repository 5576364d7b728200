/** Spawns shards as child processes (join-child.ts) that each join a barrier, and collects what each printed. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BarrierJoin, BarrierOutcome } from '../../src/shard/barrier.js';

const CHILD = fileURLToPath(new URL('./join-child.js', import.meta.url));

export interface ShardResult {
  ok?: BarrierOutcome;
  error?: { code: string; message: string; hint?: string; exitCode?: number };
}

/** Runs one shard process; rejects if it prints nothing parseable (a crash), with its stderr. */
export function joinInChild(join: Omit<BarrierJoin, 'signal' | 'now'>): Promise<ShardResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, JSON.stringify(join)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(out) as ShardResult);
      } catch {
        reject(new Error(`shard ${join.shard} exited ${code} printing ${JSON.stringify(out)}; stderr: ${err}`));
      }
    });
  });
}
