/**
 * Which extra `behavior` keys this wsherd accepts (e.g. `send_during_ramp`, being added on another branch): one tiny
 * CLI run with them; a key the CLI rejects (exit 2, invalid input, naming the key) is dropped with a note, so the bench
 * runs against wsherd before and after the change without edits.
 */
import { launch, type ClientEnv } from './generator-clients.js';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export async function probeWsherdBehavior(env: ClientEnv): Promise<{ accepted: Record<string, unknown>; notes: string[] }> {
  const keys = Object.keys(env.wsherdBehavior);
  if (keys.length === 0) return { accepted: {}, notes: [] };
  const server = fork(path.join(HERE, 'generator-server.js'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, GEN_MODE: 'ws', GEN_TARGET: '1' } });
  try {
    const [m] = (await once(server, 'message')) as [{ port: number }];
    const c = launch('wsherd', { mode: 'rate', engine: 'ws', port: m.port, conns: 1, rate: 1, seconds: 1, delayMs: 1, inFlight: 1 }, env, 'probe');
    // A scenario is validated in full before the first socket opens: a connection means every key was accepted.
    const connected = new Promise<'connected'>((res) => server.on('message', (x: { ev?: string }) => x.ev === 'first' && res('connected')));
    const first = await Promise.race([connected, c.exited]);
    if (first === 'connected') {
      c.interrupt();
      await Promise.race([c.exited, new Promise((res) => setTimeout(res, 20_000))]);
      await c.kill();
    }
    const code = first === 'connected' ? 0 : first;
    if (code !== 2) return { accepted: env.wsherdBehavior, notes: [`wsherd behavior passthrough: ${JSON.stringify(env.wsherdBehavior)}`] };
    const out = c.output();
    const rejected = keys.filter((k) => out.includes(k));
    if (rejected.length === 0) throw new Error(`wsherd rejected the bench's scenario: ${out.trim().slice(-600)}`);
    const accepted = Object.fromEntries(Object.entries(env.wsherdBehavior).filter(([k]) => !rejected.includes(k)));
    return { accepted, notes: [`this wsherd does not accept behavior ${rejected.join(', ')} (dropped; it said: ${out.trim().split('\n').find((l) => rejected.some((k) => l.includes(k)))?.trim() ?? ''})`] };
  } finally {
    server.disconnect();
  }
}
