/**
 * A stand-in parent for the bus tests: starts a lab of two ws backends on a Redis bus, prints the component pids as
 * one JSON line (the redis-server first), then idles until the test kills it. A separate process because it is killed.
 */
import { startLab } from '../../../src/lab/start.js';

const lab = await startLab({ backends: { count: 2, kind: 'ws', host: '127.0.0.1', bus: 'redis' }, proxy: { strategy: 'round-robin', mode: 'l4', host: '127.0.0.1' } });
const redis = lab.components.filter((c) => c.kind === 'redis');
process.stdout.write(JSON.stringify([...redis, ...lab.components.filter((c) => c.kind !== 'redis')].map((c) => c.pid)) + '\n');
setInterval(() => {}, 60_000);
