/**
 * Credential headers stay out of what a run writes: the clients send the real values (checked on the server), while
 * results.json and the HTML report show `<redacted>` for Authorization, Proxy-Authorization and Cookie.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { REDACTED, redactScenario } from '../../src/results/redact.js';
import { runScenario } from '../../src/run/run.js';
import { parseScenario } from '../../src/scenario/load.js';
import { RunEvents } from '../../src/run-events.js';

test('redactScenario replaces the credential values only, whatever the case, and leaves a scenario without them as is', () => {
  const scenario = parseScenario(`name: r
target: ws://127.0.0.1:9/
clients: 1
behavior:
  headers: {authorization: "Bearer s3cret", PROXY-AUTHORIZATION: "Basic eA==", Cookie: "sid=s3cret", Origin: "https://app.example"}
`, 'r.yaml');
  const shown = redactScenario(scenario);
  assert.deepEqual(shown.behavior.headers, { authorization: REDACTED, 'PROXY-AUTHORIZATION': REDACTED, Cookie: REDACTED, Origin: 'https://app.example' });
  assert.equal(scenario.behavior.headers?.authorization, 'Bearer s3cret', 'the scenario itself is not changed');
  const plain = parseScenario('name: p\ntarget: ws://127.0.0.1:9/\nclients: 1\nbehavior: {headers: {Origin: o}}\n', 'p.yaml');
  assert.equal(redactScenario(plain), plain);
});

test('a run sends the real Authorization and Cookie, and writes <redacted> in results.json and the HTML report', { timeout: 30_000 }, async () => {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server });
  wss.on('headers', (_h, req) => seen.push(req.headers));
  wss.on('connection', (ws) => ws.on('message', (d) => ws.send(d)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-redact-'));
  try {
    const scenario = parseScenario(`name: redact
target: ws://127.0.0.1:${port}/
clients: 2
workers: 1
phases: [{ramp_up: 200ms}, {hold: 500ms}]
behavior:
  headers: {Authorization: "Bearer s3cret-token", Cookie: "sid=s3cret-cookie", X-Tenant: t1}
`, 'redact.yaml');
    const out = await runScenario({ scenario, outDir: dir, events: new RunEvents() });
    assert.ok(seen.length >= 2, `handshakes ${seen.length}`);
    for (const h of seen) {
      assert.equal(h.authorization, 'Bearer s3cret-token');
      assert.equal(h.cookie, 'sid=s3cret-cookie');
      assert.equal(h['x-tenant'], 't1');
    }
    const json = await readFile(out.files.results, 'utf8');
    const written = JSON.parse(json) as { scenario: { behavior: { headers?: Record<string, string> } } };
    assert.deepEqual(written.scenario.behavior.headers, { Authorization: REDACTED, Cookie: REDACTED, 'X-Tenant': 't1' });
    const html = await readFile(out.files.html, 'utf8');
    for (const text of [json, html]) assert.doesNotMatch(text, /s3cret/);
    assert.match(html, /Authorization: (&quot;|")?&lt;redacted&gt;/);
  } finally {
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  }
});
