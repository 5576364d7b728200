/**
 * The backend agent against a real orchestrator: late orchestrator, heartbeats, re-registration after the
 * orchestrator forgot it, deregistration on stop; and the reference backend child wired to it.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { forkComponentEntry, nextReply } from '../helpers/fork-component.js';
import { once } from 'node:events';
import WebSocket from 'ws';
import { startAgent, type RunningAgent } from '../../src/orchestrator/agent.js';
import type { RunningOrchestrator } from '../../src/orchestrator/server.js';
import { freePort } from '../helpers/free-port.js';
import { TOKEN, api, memoryOrchestrator, until } from './helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function orch(port = 0): Promise<RunningOrchestrator> {
  const o = await memoryOrchestrator({ port });
  cleanups.push(() => o.close());
  return o;
}

const listOf = async (o: RunningOrchestrator): Promise<{ id: string; load: number; url: string }[]> => (await api(o.url, 'GET', '/v1/backends')).body.backends;

describe('agent', () => {
  test('registers once a late orchestrator comes up, heartbeats its load, deregisters on stop', async () => {
    const port = await freePort();
    let load = 3;
    const agent = startAgent({ orchestratorUrl: `http://127.0.0.1:${port}`, token: TOKEN, id: 'b1', url: 'ws://127.0.0.1:4001/', intervalMs: 30, load: () => load });
    cleanups.push(() => agent.stop());
    await until('a failed attempt', () => agent.stats().failures > 0);
    const o = await orch(port);
    await agent.registered;
    await until('load 3 reported', async () => (await listOf(o))[0]?.load === 3);
    load = 8;
    await until('load 8 reported', async () => (await listOf(o))[0]?.load === 8);
    assert.equal((await listOf(o))[0]?.url, 'ws://127.0.0.1:4001/');
    await agent.stop();
    assert.deepEqual(await listOf(o), []);
    const beats = agent.stats().heartbeats;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(agent.stats().heartbeats, beats, 'no heartbeat after stop');
  });

  test('registers again when a heartbeat is answered 404 (the orchestrator forgot it)', async () => {
    const o = await orch();
    const agent: RunningAgent = startAgent({ orchestratorUrl: o.url, token: TOKEN, id: 'b2', url: 'ws://127.0.0.1:4002/', weight: 3, intervalMs: 30, load: () => 1 });
    cleanups.push(() => agent.stop());
    await agent.registered;
    assert.equal((await api(o.url, 'DELETE', '/v1/backends/b2')).status, 200);
    await until('registered again', () => agent.stats().registrations >= 2);
    await until('listed again', async () => (await listOf(o)).length === 1);
    assert.equal((await api(o.url, 'GET', '/v1/backends')).body.backends[0].weight, 3);
    await agent.stop();
  });

  test('stop() is bounded when the orchestrator is gone', async () => {
    const o = await orch();
    const agent = startAgent({ orchestratorUrl: o.url, token: TOKEN, id: 'b3', url: 'ws://127.0.0.1:4003/', intervalMs: 30, load: () => 0 });
    await agent.registered;
    await o.close();
    const t0 = Date.now();
    await agent.stop();
    assert.ok(Date.now() - t0 < 2000);
  });

  test('a wrong token never registers; failures are counted', async () => {
    const o = await orch();
    const agent = startAgent({ orchestratorUrl: o.url, token: 'wrong', id: 'b4', url: 'ws://127.0.0.1:4004/', intervalMs: 30, load: () => 0 });
    cleanups.push(() => agent.stop());
    await until('two failures', () => agent.stats().failures >= 2);
    assert.match(agent.stats().lastError ?? '', /HTTP 401/);
    assert.deepEqual(await listOf(o), []);
    await agent.stop();
  });
});

describe('reference backend child with an orchestrator', () => {
  test('registers itself, reports its open sessions, deregisters on SIGTERM', async () => {
    const o = await orch();
    const config = { id: 'bk1', host: '127.0.0.1', port: 0, orchestrator: { url: o.url, token: TOKEN, intervalMs: 30 } };
    const child = forkComponentEntry(new URL('../../src/backend/main.js', import.meta.url), config);
    const exited = once(child, 'exit');
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    const [msg] = (await nextReply(child)) as [{ type: string; port: number }];
    assert.equal(msg.type, 'ready');
    await until('registered', async () => (await listOf(o)).length === 1);
    const e = await api(o.url, 'GET', '/v1/endpoint?client=c1', undefined, null);
    assert.equal(e.body.url, `ws://127.0.0.1:${msg.port}/`);
    const ws = new WebSocket(e.body.url as string);
    await once(ws, 'open');
    await until('load 1 reported', async () => (await listOf(o))[0]?.load === 1);
    ws.terminate();
    child.kill('SIGTERM');
    await exited;
    assert.deepEqual(await listOf(o), []);
  });
});
