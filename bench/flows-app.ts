/**
 * The flows bench's server, in its own process (forked by bench/flows.ts) so that it never shares an event loop with
 * the bench's coordinator: the oracle ws app (test/oracle/ws-app.ts, plain `ws`), one instance, no bus. It echoes
 * what is not its protocol (the echo engine's frames), answers `request` frames by id, and fans `publish` out to
 * the topic's subscribers, counting every write. IPC: it sends {port} when listening; on {cmd: 'totals'} it answers
 * {totals, firstDeliveryMs, lastDeliveryMs}; on {cmd: 'reset'} it zeroes its counts.
 */
import { startWsApp, zeroWsCounts } from '../test/oracle/ws-app.js';

const app = await startWsApp({ instances: 1 });
const inst = app.instances[0];
let first = 0;
let last = 0;
// When deliveries were written: the window the app's own deliveries/s is computed over.
const timer = setInterval(() => {
  const n = inst?.counts.deliveries ?? 0;
  if (n > 0 && first === 0) first = Date.now();
  if (n > lastCount) last = Date.now();
  lastCount = n;
}, 20);
let lastCount = 0;
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'totals') process.send?.({ totals: app.totals(), firstDeliveryMs: first, lastDeliveryMs: last });
  if (m.cmd === 'reset' && inst !== undefined) {
    inst.counts = zeroWsCounts();
    first = 0;
    last = 0;
    lastCount = 0;
  }
});
process.on('disconnect', () => {
  clearInterval(timer);
  void app.close().then(() => process.exit(0));
});
process.send?.({ port: app.port });
