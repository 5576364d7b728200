/**
 * Faults on a running lab: kill, stop (SIGSTOP: alive but silent, as a hung process is), drain or add a backend,
 * each through whatever the lab's approach uses to route — the proxies' admin API, the DNS zone, or the
 * orchestrator's registry — so a scenario measures what its approach does about it (a proxy's health checks, DNS
 * caches that still hold the dead address, an orchestrator that stops handing it out).
 */
import { WsherdError } from '../errors.js';
import type { ComponentProcess } from './component-process.js';
import { sendJson } from './http-json.js';
import type { BackendStarter, Part } from './start.js';
import type { FaultAction, LabSpec } from '../scenario/types.js';
import { DEFAULT_DNS_LAB } from '../scenario/approach.js';
import { waitForRegistrations } from './registrations.js';
import type { FaultOutcome } from './types.js';

export interface LabHandle {
  spec: LabSpec;
  parts: Part[];
  /** Components stopped on purpose (their exit is not a lab failure). */
  expected: Set<ComponentProcess>;
  startBackend: BackendStarter;
  token: string | undefined;
  /** proxy-orchestrator: the proxy follows the registry; a round after a fault applies it at once. */
  sync?: { once(): Promise<void> };
  adopt(p: Part): void;
}

export interface Faults {
  apply(action: FaultAction, backend?: string): Promise<FaultOutcome>;
  /** SIGCONT every stopped backend, so the lab's teardown can end it. */
  resume(): void;
}

export function startFaults(h: LabHandle): Faults {
  const stopped = new Set<ComponentProcess>();
  const of = (kind: string): Part[] => h.parts.filter((p) => p.component.kind === kind);
  const backendPart = (id: string | undefined): Part => {
    const p = of('backend').find((b) => b.component.id === id);
    if (p === undefined) throw new WsherdError('WSH_ERR_INVALID_INPUT', `No backend ${String(id)} in the lab (it has ${of('backend').map((b) => b.component.id).join(', ')}).`);
    return p;
  };
  const auth = (): Record<string, string> => (h.token === undefined ? {} : { authorization: `Bearer ${h.token}` });
  const adminBase = (p: Part): string => p.component.adminUrl.replace(/\/stats$/, '');
  const dnsAdmin = (): string => of('dns')[0]?.component.adminUrl ?? '';
  const dnsName = h.spec.dns?.name ?? DEFAULT_DNS_LAB.name;
  const approach = h.spec.approach ?? 'proxy';

  const drain = async (b: Part): Promise<string> => {
    if (approach === 'orchestrator' || approach === 'proxy-orchestrator') {
      await Promise.all(of('orchestrator').slice(0, 1).map((o) => sendJson('POST', `${o.component.url}/v1/backends/${b.component.id}/drain`, undefined, auth())));
      if (h.sync === undefined) return 'the orchestrator stops handing it out';
      await h.sync.once();
      return 'drained in the orchestrator\'s registry; the proxy, following it, sends it no new connections';
    }
    if (approach === 'dns') {
      await sendJson('POST', `${dnsAdmin()}records`, { name: dnsName, remove: [b.component.host] });
      return `its address leaves the DNS answer for ${dnsName} (cached answers still hold it)`;
    }
    await Promise.all(of('proxy').map((p) => sendJson('POST', `${adminBase(p)}/backends/${b.component.id}/drain`, {})));
    return 'the proxy sends it no new connections';
  };

  const add = async (): Promise<{ part: Part; how: string }> => {
    const backends = of('backend');
    const port = approach === 'dns' ? (backends[0]?.component.port ?? 0) : 0;
    const p = await h.startBackend(backends.length, port);
    h.adopt(p);
    if (approach === 'orchestrator' || approach === 'proxy-orchestrator') {
      const first = of('orchestrator')[0];
      if (first !== undefined && h.token !== undefined) await waitForRegistrations(first.component.url, h.token, [p.component.id], 10_000);
      if (h.sync === undefined) return { part: p, how: 'it registered with the orchestrator' };
      await h.sync.once();
      return { part: p, how: 'it registered with the orchestrator, and the proxy following the registry added it' };
    }
    if (approach === 'dns') {
      await sendJson('POST', `${dnsAdmin()}records`, { name: dnsName, add: [p.component.host] });
      return { part: p, how: `its address joins the DNS answer for ${dnsName}` };
    }
    await Promise.all(of('proxy').map((x) => sendJson('POST', `${adminBase(x)}/backends`, { id: p.component.id, host: p.component.host, port: p.component.port })));
    return { part: p, how: 'the proxy adds it to its pool' };
  };

  return {
    async apply(action, backend) {
      switch (action) {
        case 'kill': {
          const b = backendPart(backend);
          h.expected.add(b.proc);
          b.proc.child.kill('SIGKILL');
          return { action, backend: b.component.id, detail: `killed (pid ${b.proc.pid})` };
        }
        case 'stop': {
          const b = backendPart(backend);
          h.expected.add(b.proc);
          stopped.add(b.proc);
          b.proc.child.kill('SIGSTOP');
          return { action, backend: b.component.id, detail: `stopped with SIGSTOP (pid ${b.proc.pid}): its sockets stay open, nothing answers` };
        }
        case 'drain': {
          const b = backendPart(backend);
          return { action, backend: b.component.id, detail: `drained: ${await drain(b)}` };
        }
        case 'add': {
          const { part, how } = await add();
          return { action, backend: part.component.id, detail: `added at ${part.component.url}: ${how}` };
        }
      }
    },
    resume() {
      for (const p of stopped) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGCONT');
      stopped.clear();
    },
  };
}
