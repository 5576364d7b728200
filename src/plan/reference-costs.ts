/**
 * Bundled costs for `wsherd plan` without --results: what the reference lab (wsherd's own Node proxy in L4 mode and
 * its ws backends) spent per connection on wsherd's development machine, and what HAProxy and nginx spent in front
 * of the same backends (`--balancer-kind`, below). REFERENCE, NOT YOUR HOSTS: calibrate with
 * `wsherd plan --results <your run>/results.json` before buying hardware.
 *
 * wsherd (the default balancer kind, and the backends of every kind):
 * Measured 2026-11-29 on a 2-core AMD EPYC VM (Linux 6.18, Node v20.20.2, 23 GiB RAM, the machine shared with other
 * work), with calibrate() (src/plan/costs.ts) over:
 *   node bin/run.js run scenarios/idle-8000.yaml                 # 8,000 idle connections, ramp 1,000/s, 4 backends
 *   node bin/run.js run messaging.yaml                           # 1,000 clients × 2 messages/s of 256 B (+ echoes)
 *   node bin/run.js run scenarios/orchestrator.yaml              # orchestrator lookups only (400 clients, 4 s lives)
 * where messaging.yaml is idle-8000.yaml with `clients: 1000`, `ramp_up: {rate: 500}`, `hold: 15s` and
 * `behavior: {messages_per_second: 2, payload_bytes: 256}`. The spreads are standard deviations over the probe points
 * (memory, fds) and one-second intervals (CPU) of those runs; memory per connection pools the 8,000-connection run
 * (5.2 kB balancer, 9.0 kB backend) with the 1,000-connection messaging run (10.2 kB, 41.7 kB: message buffers and
 * heap growth that a small run spreads over few connections), hence its wide spread.
 *
 * haproxy and nginx (balancer only): measured 2026-11-29 on the same VM (2-core AMD EPYC, Linux 6.18, 24 GiB), two
 * runs of
 *   npm run bench -- costs                                        # bench/balancer-costs.ts, about 90 s
 * HAProxy 2.6.12 (Debian 2.6.12-1+deb12u4; mode http with option http-server-close, nbthread 1, as
 * test/interop/haproxy-roundrobin.cfg) and nginx 1.22.1 (Debian; master + worker_processes 1, the proxy_pass with
 * Upgrade headers of test/interop/nginx-roundrobin.conf) in front of 4 reference ws backends, each fresh for 2,000
 * and then 5,000 idle WebSocket connections opened at 1,000/s by wsherd's load engine (its own processes). Memory
 * and fds: (VmRSS, /proc/PID/fd count at hold − idle) / the connections the backends held, summed over nginx's
 * master and worker; CPU per 100 new connections: utime + stime from before the ramp to the hold. CPU per 1,000
 * messages/s: each fresh again, 1,000 clients × 2 messages/s of 256 B and their echoes (4,000 messages/s both
 * ways), utime + stime over 4 s of the hold. Spreads: standard deviations over 2 runs × 2 sizes (memory, fds,
 * CPU per new connection) and over the 2 runs (messages). The same runs measured wsherd's proxy at 6,190 B,
 * 0.026 core-s per 100 new and 0.021 per 1,000 messages/s: close to the wsherd figures above (kept as they were).
 * Idle tunnels hold no buffers; HAProxy (bufsize 16 kB) and nginx (proxy_buffer_size 4-8 kB) take them per
 * direction while data is in flight, so connections busy with large messages cost more — calibrate with a run that
 * sends your messages.
 */
import type { BalancerKind, ComponentCosts, Cost, Costs } from './types.js';

const SOURCE = 'reference (wsherd lab on a 2-core VM, 2026-11-29), not your hosts';

function ref(value: number, spread: number, samples: number, source = SOURCE): Cost {
  return { value, spread, samples, source };
}

export const REFERENCE_LABEL =
  'reference costs, not your hosts: wsherd\'s Node proxy (L4) and ws backends on a 2-core AMD EPYC VM, Linux 6.18, Node 20, 2026-11-29 ' +
  '(`wsherd run scenarios/idle-8000.yaml` and a 1,000-client × 2 messages/s run); calibrate with --results';

export const REFERENCE_COSTS: Omit<Costs, 'notes'> = {
  origin: 'reference',
  label: REFERENCE_LABEL,
  balancer: {
    memoryPerConnection: ref(8392, 2450, 22),
    fdsPerConnection: ref(2.0, 0.0002, 22),
    idleFds: ref(22, 0, 2),
    idleMemoryBytes: ref(62_880_000, 35_000, 2),
    cpuPer1000Messages: ref(0.0331, 0.0025, 13),
    cpuPer100NewConnections: ref(0.029, 0.0066, 2),
  },
  backend: {
    memoryPerConnection: ref(29_470, 16_900, 22),
    fdsPerConnection: ref(1.0, 0.0012, 22),
    idleFds: ref(21, 0, 8),
    idleMemoryBytes: ref(58_620_000, 1_030_000, 8),
    cpuPer1000Messages: ref(0.0431, 0.009, 13),
    cpuPer100NewConnections: ref(0.0407, 0.0053, 2),
  },
  orchestratorCpuPer100Lookups: ref(0.0785, 0.024, 19),
};

const BENCH = '`npm run bench -- costs`';

function measured(kind: string, version: string): (value: number, spread: number, samples: number) => Cost {
  const source = `reference (${kind} ${version} on a 2-core VM, 2026-11-29, ${BENCH}), not your hosts`;
  return (value, spread, samples) => ref(value, spread, samples, source);
}

const haproxy = measured('HAProxy', '2.6.12');
const nginx = measured('nginx', '1.22.1');

/** What each balancer kind spends per connection: the backends stay wsherd's reference backends. */
export const BALANCER_REFERENCES: Readonly<Record<BalancerKind, { label: string; balancer: ComponentCosts }>> = {
  wsherd: { label: REFERENCE_LABEL, balancer: REFERENCE_COSTS.balancer },
  haproxy: {
    label: 'reference costs, not your hosts: HAProxy 2.6.12 (Debian, mode http, nbthread 1) in front of wsherd\'s ws backends on a 2-core AMD EPYC VM, ' +
      `Linux 6.18, 2026-11-29 (${BENCH}; backends: \`wsherd run scenarios/idle-8000.yaml\`); calibrate with --results`,
    balancer: {
      memoryPerConnection: haproxy(4814, 156, 4),
      fdsPerConnection: haproxy(2.0, 0, 4),
      idleFds: haproxy(8, 0, 4),
      idleMemoryBytes: haproxy(15_700_000, 74_000, 4),
      cpuPer1000Messages: haproxy(0.0185, 0.0005, 2),
      cpuPer100NewConnections: haproxy(0.0097, 0.00054, 4),
    },
  },
  nginx: {
    label: 'reference costs, not your hosts: nginx 1.22.1 (Debian, master + 1 worker) in front of wsherd\'s ws backends on a 2-core AMD EPYC VM, ' +
      `Linux 6.18, 2026-11-29 (${BENCH}; backends: \`wsherd run scenarios/idle-8000.yaml\`); calibrate with --results`,
    balancer: {
      memoryPerConnection: nginx(18_256, 37, 4),
      fdsPerConnection: nginx(2.0, 0, 4),
      idleFds: nginx(15, 0, 4),
      idleMemoryBytes: nginx(18_660_000, 105_000, 4),
      cpuPer1000Messages: nginx(0.0136, 0.001, 2),
      cpuPer100NewConnections: nginx(0.01, 0.0007, 4),
    },
  },
};

/** The reference costs with `kind`'s balancer in front of wsherd's backends. */
export function referenceCostsFor(kind: BalancerKind): Omit<Costs, 'notes'> {
  const r = BALANCER_REFERENCES[kind];
  return { ...REFERENCE_COSTS, label: r.label, balancer: r.balancer };
}
