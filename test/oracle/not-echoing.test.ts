/**
 * The issue-16 complaint, as an oracle: the default echo scenario run against an application that does not echo
 * (a welcome, JSON replies, a push every 200 ms — a plain `ws` server of the test's own) must not read as "no
 * failure" with every frame unmentioned. The frames the server wrote are counted (counters.framesOther equals
 * the server's own count) and the diagnosis says the target does not echo and points to behavior.flow.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { runCli } from '../helpers/cli.js';
import { until } from '../helpers/until.js';

describe('oracle: a target that does not echo', () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  let written = 0;
  let open = 0;
  wss.on('connection', (ws: WebSocket) => {
    open++;
    const send = (v: unknown): void => {
      // Only frames that leave: ws drops a send once the closing handshake began.
      if (ws.readyState !== ws.OPEN) return;
      ws.send(JSON.stringify(v));
      written++;
    };
    send({ type: 'welcome' });
    const timer = setInterval(() => send({ type: 'push' }), 200);
    ws.on('message', () => send({ type: 'reply', ok: true }));
    ws.on('close', () => {
      open--;
      clearInterval(timer);
    });
  });
  after(() => new Promise<void>((r) => wss.close(() => r())));

  test('its frames are counted as the server wrote them, and the diagnosis says it does not echo', async () => {
    await once(wss, 'listening');
    const dir = mkdtempSync(path.join(tmpdir(), 'wsherd-noecho-'));
    const file = path.join(dir, 'noecho.yaml');
    const port = (wss.address() as { port: number }).port;
    writeFileSync(file, `name: noecho\ntarget: ws://127.0.0.1:${port}/\nclients: 10\nphases:\n  - ramp_up: 1s\n  - hold: 2s\n  - ramp_down: 1s\nbehavior:\n  messages_per_second: 5\n  message_timeout: 1s\n`);
    const out = path.join(dir, 'out');
    const r = await runCli(['run', file, '--out', out]);
    // Every connection is closed by the clients' planned ends: the server's count is final once all are gone.
    await until('every connection closed', () => open === 0, 5000);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as { summary: { counters: { messagesSent: number; messagesReceived: number; framesOther?: number } } };
    const k = results.summary.counters;
    assert.ok(k.messagesSent > 50, `sent ${k.messagesSent}`);
    assert.equal(k.messagesReceived, 0);
    assert.equal(k.framesOther, written);
    assert.match(r.stdout + r.stderr, /The target does not echo: 0 of [\d,]+ messages came back, while [\d,]+ other frames arrived/);
    assert.match(r.stdout + r.stderr, /behavior\.flow/);
    assert.match(r.stdout + r.stderr, /other frames \(not echoes\)/);
  });
});
