/**
 * The WebSocket health check (upgrade, then a ping answered by a pong), apart from health.ts so that `ws` is
 * loaded only by a proxy configured for ws checks.
 */
import net from 'node:net';
import WebSocket from 'ws';
import type { ResolvedHealth } from './health.js';
import type { BackendState } from './pool.js';

const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? 'ERROR';

export function wsProbe(b: BackendState, h: ResolvedHealth, done: (error: string | null) => void): () => void {
  const host = net.isIPv6(b.host) ? `[${b.host}]` : b.host;
  const ws = new WebSocket(`ws://${host}:${b.port}${h.path}`, { headers: { 'user-agent': 'wsherd-health' } });
  ws.once('open', () => ws.ping());
  ws.once('pong', () => done(null));
  ws.once('unexpected-response', (req, res) => {
    req.destroy();
    done(`HTTP_${res.statusCode ?? 0}`);
  });
  ws.on('error', (err) => done(codeOf(err) === 'ERROR' ? 'WS_ERROR' : codeOf(err)));
  ws.once('close', () => done('WS_CLOSED'));
  return () => ws.terminate();
}
