/**
 * A stand-in parent for the "parent SIGKILLed" test: starts a lab of two backends, prints the component pids
 * as one JSON line, then idles until killed, or with the argument `crash` throws an uncaught error once the
 * test has the pids. Run as a separate process because the test kills it.
 */
import { startLab } from '../../../src/lab/start.js';

const lab = await startLab({ backends: { count: 2, kind: 'ws', host: '127.0.0.1' }, proxy: { strategy: 'round-robin', mode: 'l4', host: '127.0.0.1' } });
process.stdout.write(JSON.stringify(lab.components.map((c) => c.pid)) + '\n');
setInterval(() => {}, 60_000);
if (process.argv[2] === 'crash') {
  process.stdin.once('data', () => {
    throw new Error('lab-parent: a deliberate crash');
  });
}
