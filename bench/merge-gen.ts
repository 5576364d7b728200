/**
 * The merge bench's shard writer, a child process (bench/merge.ts runs one per core): writes the shards it is given
 * (bench/merge-sim.ts) and prints one JSON line per shard, {index, file, established, ms}; with `endCost`, also
 * {endCost: …}, what the shard section costs shard 0's run after its load (endOfRunCost).
 *
 *   node dist/bench/merge-gen.js '{"shape": {...}, "dir": "...", "indexes": [0, 2, 4], "endCost": true}'
 */
import { performance } from 'node:perf_hooks';
import { benchScenario, endOfRunCost, writeShard, type ShardShape } from './merge-sim.js';

interface GenArgs {
  shape: ShardShape;
  dir: string;
  indexes: number[];
  endCost?: boolean;
}

const args = JSON.parse(process.argv[2] ?? '{}') as GenArgs;
const scenario = benchScenario(args.shape);
for (const index of args.indexes) {
  const t0 = performance.now();
  const { file, established } = await writeShard(args.shape, index, args.dir, scenario);
  process.stdout.write(`${JSON.stringify({ index, file, established, ms: performance.now() - t0 })}\n`);
}
if (args.endCost === true) process.stdout.write(`${JSON.stringify({ endCost: await endOfRunCost(args.shape, scenario, args.dir) })}\n`);
