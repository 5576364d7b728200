/**
 * The hybrid of a proxy in front of an orchestrator-aware tier (approach proxy-orchestrator): backends register
 * with the orchestrator and heartbeat; the proxy's pool follows the registry. Each round reads the registry and
 * the proxy's pool and puts the difference right through the proxy's admin API: a backend that registered is
 * added, one drained or no longer heartbeating is drained (its open connections stay, as a drain does), one that
 * comes back is undrained, one that deregistered is removed. The proxy keeps its own health checks too.
 */
import { getJsonWith, sendJson } from './http-json.js';

/** How often the registry is read: well under the orchestrator's 3 s heartbeat timeout. */
export const SYNC_INTERVAL_MS = 500;

interface RegistryEntry {
  id: string;
  url: string;
  state: 'up' | 'down' | 'drain';
}

interface PoolEntry {
  id: string;
  health?: 'up' | 'down' | 'drain';
}

export interface RegistrySync {
  /** One round now (also what the timer runs); resolves when the proxy matches the registry read. */
  once(): Promise<void>;
  stop(): void;
}

export function startRegistrySync(orchestratorUrl: string, token: string, proxyAdmins: readonly string[]): RegistrySync {
  const auth = { authorization: `Bearer ${token}` };
  /** Backends this sync drained (not the proxy's own health verdicts): only these does it undrain. */
  const drained = new Set<string>();
  let running: Promise<void> | undefined;
  const round = async (): Promise<void> => {
    const registry = (await getJsonWith<{ backends: RegistryEntry[] }>(`${orchestratorUrl}/v1/backends`, auth)).backends;
    await Promise.all(proxyAdmins.map(async (admin) => {
      const pool = await getJsonWith<PoolEntry[]>(`${admin}/backends`, {});
      const inPool = new Map(pool.map((b) => [b.id, b]));
      for (const r of registry) {
        const p = inPool.get(r.id);
        if (p === undefined && r.state === 'up') {
          const u = new URL(r.url);
          await sendJson('POST', `${admin}/backends`, { id: r.id, host: u.hostname, port: Number(u.port) });
        } else if (p !== undefined && r.state !== 'up' && p.health !== 'drain') {
          await sendJson('POST', `${admin}/backends/${r.id}/drain`, {});
          drained.add(r.id);
        } else if (p !== undefined && r.state === 'up' && p.health === 'drain' && drained.has(r.id)) {
          await sendJson('POST', `${admin}/backends/${r.id}/undrain`, {});
          drained.delete(r.id);
        }
      }
      const registered = new Set(registry.map((r) => r.id));
      for (const p of pool) if (!registered.has(p.id)) await sendJson('DELETE', `${admin}/backends/${p.id}`, undefined);
    }));
  };
  const once = (): Promise<void> => (running ??= round().finally(() => (running = undefined)));
  // A failed round (a component stopping, a slow answer) is retried on the next tick; the run goes on.
  const timer = setInterval(() => void once().catch(() => {}), SYNC_INTERVAL_MS);
  timer.unref();
  return { once, stop: () => clearInterval(timer) };
}
