/**
 * The lab's approaches, with real child processes: DNS round robin (backends on their own addresses, one port,
 * answered by the lab's DNS server), the orchestrator (backends register themselves), DNS in front of proxies;
 * and faults applied through each one's own means (zone, registry, proxy admin) without the lab calling it a death.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import WebSocket from 'ws';
import { startLab } from '../../src/lab/start.js';
import { queryA } from '../../src/dns/resolver.js';
import { getJsonWith } from '../../src/lab/http-json.js';
import type { LabSpec } from '../../src/scenario/types.js';
import { DEFAULT_DNS_LAB, DEFAULT_ORCHESTRATOR } from '../../src/scenario/approach.js';
import { descendants, isAlive } from '../helpers/cli.js';

const base = (count: number): Pick<LabSpec, 'backends' | 'proxy'> => ({
  backends: { count, kind: 'ws', host: '127.0.0.1' },
  proxy: { strategy: 'round-robin', mode: 'l4', host: '127.0.0.1' },
});

async function hello(url: string): Promise<string> {
  const ws = new WebSocket(url);
  const [data] = (await once(ws, 'message')) as [Buffer];
  ws.terminate();
  return (JSON.parse(data.toString()) as { backend: string }).backend;
}

const sorted = (xs: string[]): string[] => [...xs].sort();

describe('lab approaches', () => {
  test('dns: each backend on its own address and one port; the name answers with all; drain leaves the zone, add joins it, kill is no lab death', { timeout: 30_000 }, async () => {
    const lab = await startLab({ ...base(3), approach: 'dns', dns: { ...DEFAULT_DNS_LAB, ttlSeconds: 7 } });
    try {
      const backends = lab.components.filter((c) => c.kind === 'backend');
      assert.deepEqual(backends.map((b) => b.host), ['127.1.0.1', '127.1.0.2', '127.1.0.3']);
      assert.equal(new Set(backends.map((b) => b.port)).size, 1, 'one shared port');
      assert.ok(lab.dnsServer);
      assert.equal(lab.entryUrl, `ws://app.wsherd.test:${backends[0]?.port}/`);
      const server = lab.dnsServer;
      const answer = await queryA('app.wsherd.test', { server, timeoutMs: 1000, retries: 1 });
      assert.deepEqual(sorted(answer.addresses), ['127.1.0.1', '127.1.0.2', '127.1.0.3']);
      assert.equal(answer.ttlSeconds, 7);
      assert.equal(await hello(`ws://127.1.0.2:${backends[0]?.port}/`), 'b2');

      assert.match((await lab.fault('drain', 'b1')).detail, /leaves the DNS answer/);
      assert.deepEqual(sorted((await queryA('app.wsherd.test', { server, timeoutMs: 1000, retries: 1 })).addresses), ['127.1.0.2', '127.1.0.3']);
      const added = await lab.fault('add');
      assert.equal(added.backend, 'b4');
      assert.deepEqual(sorted((await queryA('app.wsherd.test', { server, timeoutMs: 1000, retries: 1 })).addresses), ['127.1.0.2', '127.1.0.3', '127.1.0.4']);
      assert.equal(await hello(`ws://127.1.0.4:${backends[0]?.port}/`), 'b4');
      await lab.fault('kill', 'b3');
      const died = await Promise.race([lab.died, new Promise<string>((r) => setTimeout(() => r('alive'), 500))]);
      assert.equal(died, 'alive', 'a fault\'s kill is not a lab failure');
      await assert.rejects(lab.fault('kill', 'b9'), /No backend b9/);
    } finally {
      await lab.stop();
    }
    assert.deepEqual(descendants(process.pid).filter(isAlive), []);
  });

  test('orchestrator: backends register before the lab is ready; endpoints are handed out; drain and add go through the registry', { timeout: 30_000 }, async () => {
    const lab = await startLab({ ...base(2), approach: 'orchestrator', orchestrator: { ...DEFAULT_ORCHESTRATOR } });
    try {
      assert.match(lab.entryUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      const endpoint = await getJsonWith<{ url: string; backendId: string }>(`${lab.entryUrl}/v1/endpoint?client=c1`, {});
      assert.match(endpoint.backendId, /^b[12]$/);
      assert.equal(await hello(endpoint.url), endpoint.backendId);
      await lab.fault('drain', 'b1');
      for (let i = 0; i < 5; i++) assert.equal((await getJsonWith<{ backendId: string }>(`${lab.entryUrl}/v1/endpoint?client=c${i}`, {})).backendId, 'b2');
      assert.equal((await lab.fault('add')).backend, 'b3');
      const stats = await lab.stats();
      assert.equal(stats.backends.length, 3);
      assert.equal(stats.orchestrators?.length, 1);
    } finally {
      await lab.stop();
    }
  });

  test('proxy-orchestrator: the proxy\'s pool follows the registry (drain and add through the orchestrator)', { timeout: 30_000 }, async () => {
    const lab = await startLab({ ...base(2), approach: 'proxy-orchestrator', orchestrator: { ...DEFAULT_ORCHESTRATOR } });
    try {
      const proxy = lab.components.find((c) => c.kind === 'proxy');
      assert.equal(lab.entryUrl, proxy?.url);
      assert.match((await lab.fault('drain', 'b1')).detail, /the proxy, following it/);
      assert.equal((await lab.stats()).proxy?.backends.find((b) => b.id === 'b1')?.health, 'drain');
      assert.equal((await lab.fault('add')).backend, 'b3');
      const pool = (await lab.stats()).proxy?.backends.map((b) => b.id);
      assert.deepEqual(pool, ['b1', 'b2', 'b3']);
      for (let i = 0; i < 4; i++) assert.notEqual(await hello(lab.entryUrl), 'b1', 'a drained backend gets no new client');
    } finally {
      await lab.stop();
    }
  });

  test('dns-proxies: the name answers with two proxies on their own addresses, each in front of every backend', { timeout: 30_000 }, async () => {
    const lab = await startLab({ ...base(2), approach: 'dns-proxies', dns: { ...DEFAULT_DNS_LAB, proxies: 2 } });
    try {
      const proxies = lab.components.filter((c) => c.kind === 'proxy');
      assert.deepEqual(proxies.map((p) => p.host), ['127.2.0.1', '127.2.0.2']);
      const answer = await queryA('app.wsherd.test', { server: lab.dnsServer ?? { host: '', port: 0 }, timeoutMs: 1000, retries: 1 });
      assert.deepEqual(sorted(answer.addresses), ['127.2.0.1', '127.2.0.2']);
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) seen.add(await hello(`ws://127.2.0.2:${proxies[0]?.port}/`));
      assert.deepEqual(sorted([...seen]), ['b1', 'b2'], 'the second proxy round-robins over both backends');
      await lab.fault('drain', 'b1');
      const stats = await lab.stats();
      assert.equal(stats.proxies?.length, 2);
      assert.deepEqual(stats.proxies?.map((p) => p.backends.find((b) => b.id === 'b1')?.health), ['drain', 'drain'], 'drained on every proxy');
    } finally {
      await lab.stop();
    }
  });
});
