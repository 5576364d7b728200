/**
 * Child processes of the scale benches (bench/scale.ts, bench/scale-backend.ts), one role per process, chosen by
 * argv[2]; each reports on IPC and exits when its parent disconnects (so a crashed bench leaves nothing behind).
 *
 *   backend <id> [host]        a reference ws backend (src/backend/server.ts); sends {port}; on {cmd: 'gc'} (run
 *                              with --expose-gc) collects garbage and answers {gc: true}, so the bench samples RSS
 *                              without the handshakes' garbage in it
 *   hold <port> <n> <hosts>    a plain `ws` client (not wsherd) opening n connections to 127.0.0.1:<port> from the
 *                              comma-separated source addresses in turn, at most 256 handshakes in flight; sends
 *                              {held, failed} when every attempt has ended, then holds until disconnected
 */
import { WebSocket } from 'ws';
import { startBackend } from '../src/backend/server.js';

const send = (m: unknown): void => {
  process.send?.(m);
};
// Whatever happens to the parent, this process goes with it.
process.on('disconnect', () => process.exit(0));

const [role = '', a = '', b = '', c = ''] = process.argv.slice(2);
if (role === 'backend') {
  const backend = await startBackend({ id: a, host: b || '127.0.0.1', port: 0 });
  send({ port: backend.port, pid: process.pid });
  process.on('message', (m: { cmd?: string }) => {
    if (m.cmd !== 'gc') return;
    (globalThis as { gc?: () => void }).gc?.();
    send({ gc: true });
  });
} else if (role === 'hold') {
  await hold(Number(a), Number(b), c.split(','));
} else {
  process.stderr.write(`scale-child: unknown role ${role}\n`);
  process.exit(2);
}

async function hold(port: number, n: number, hosts: string[]): Promise<void> {
  const held: WebSocket[] = [];
  let failed = 0;
  let next = 0;
  const IN_FLIGHT = 256;
  await new Promise<void>((resolve) => {
    let active = 0;
    const launch = (): void => {
      while (active < IN_FLIGHT && next < n) {
        const i = next++;
        active++;
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { localAddress: hosts[i % hosts.length], perMessageDeflate: false });
        const done = (ok: boolean): void => {
          active--;
          if (ok) held.push(ws);
          else failed++;
          if (next >= n && active === 0) resolve();
          else launch();
        };
        ws.once('open', () => done(true));
        ws.once('error', () => done(false));
      }
    };
    launch();
  });
  send({ held: held.length, failed });
}
