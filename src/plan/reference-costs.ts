/**
 * Bundled costs for `wsherd plan` without --results: what the reference lab (wsherd's own Node proxy in L4 mode and
 * its ws backends) spent per connection on wsherd's development machine. REFERENCE, NOT YOUR HOSTS: HAProxy or
 * nginx in front of your application spend differently (HAProxy ≈ 33 kB per connection with its buffers); calibrate
 * with `wsherd plan --results <your run>/results.json` before buying hardware.
 *
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
 */
import type { Cost, Costs } from './types.js';

const SOURCE = 'reference (wsherd lab on a 2-core VM, 2026-11-29), not your hosts';

function ref(value: number, spread: number, samples: number): Cost {
  return { value, spread, samples, source: SOURCE };
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
