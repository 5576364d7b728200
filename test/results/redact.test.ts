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
import { REDACTED, redactScenario, redactUrl } from '../../src/results/redact.js';
import { runCli } from '../helpers/cli.js';
import { readdir } from 'node:fs/promises';
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
  assert.deepEqual(redactScenario(plain), plain);
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

test('redactUrl: userinfo and secret-looking query values go, the rest stays readable', () => {
  assert.equal(redactUrl('ws://alice:pw@127.0.0.1:8080/chat?room=a&token=t0k&access_token=x&apiKey=k&sig=s&page=2#f'),
    'ws://<redacted>@127.0.0.1:8080/chat?room=a&token=<redacted>&access_token=<redacted>&apiKey=<redacted>&sig=<redacted>&page=2#f');
  assert.equal(redactUrl('redis://:hunter2@127.0.0.1:6379/0'), 'redis://<redacted>@127.0.0.1:6379/0');
  assert.equal(redactUrl('ws://127.0.0.1:9/?room=design&signal=1'), 'ws://127.0.0.1:9/?room=design&signal=1');
  assert.equal(redactUrl('not a url'), 'not a url');
});

test('issue 15: a target URL with credentials reaches the server whole, and no output of the real binary holds them', { timeout: 60_000 }, async () => {
  const seen: http.IncomingHttpHeaders[] = [];
  const urls: string[] = [];
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server });
  wss.on('headers', (_h, req) => {
    seen.push(req.headers);
    urls.push(req.url ?? '');
  });
  wss.on('connection', (ws) => ws.on('message', (d) => ws.send(d)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-redact-cli-'));
  try {
    const scenario = path.join(dir, 's.yaml');
    await import('node:fs/promises').then((fs) => fs.writeFile(scenario, `name: creds
target: ws://alice:pa55word@127.0.0.1:${port}/live?room=r1&token=t0ken-s3cret
clients: 2
workers: 1
phases: [{ramp_up: 200ms}, {hold: 500ms}]
behavior:
  query: {api_key: k3y-s3cret, lang: en}
thresholds: [errors.rate == 0]
`));
    const out = path.join(dir, 'out');
    const res = await runCli(['run', scenario, '--out', out, '--json', '--junit', path.join(dir, 'j.xml'), '--markdown', path.join(dir, 'm.md'), '--stream', path.join(dir, 's.ndjson')]);
    assert.equal(res.code, 0, res.stderr);
    // The oracle: the server got every credential.
    assert.ok(seen.length >= 2);
    for (const h of seen) assert.equal(h.authorization, `Basic ${Buffer.from('alice:pa55word').toString('base64')}`);
    for (const u of urls) assert.match(u, /token=t0ken-s3cret/);
    for (const u of urls) assert.match(u, /api_key=k3y-s3cret/);
    const files = [path.join(dir, 'j.xml'), path.join(dir, 'm.md'), path.join(dir, 's.ndjson'), ...(await readdir(out)).map((f) => path.join(out, f))];
    const texts: Array<[string, string]> = [['stdout', res.stdout], ['stderr', res.stderr]];
    for (const f of files) texts.push([f, await readFile(f, 'utf8')]);
    for (const [where, text] of texts) {
      assert.doesNotMatch(text, /pa55word|t0ken-s3cret|k3y-s3cret|alice/, `${where} holds a credential`);
    }
    const written = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')) as { target: { url: string }; scenario: { behavior: { query: Record<string, string> } } };
    assert.equal(written.target.url, `ws://<redacted>@127.0.0.1:${port}/live?room=r1&token=<redacted>`);
    assert.deepEqual(written.scenario.behavior.query, { api_key: REDACTED, lang: 'en' });
  } finally {
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  }
});
