/** Probes with known costs over the sample run, for the calibration and CLI tests. */
import type { ProbePoint } from '../../src/results/observed.js';
import type { Cost, Costs, GeneratorCosts } from '../../src/plan/index.js';
import type { Results } from '../../src/results/types.js';
import { sampleResults } from '../results/fixture.js';

/**
 * The sample run (2,000 clients, 3 backends, 3,667 messages each way per second at the hold) with probes whose
 * costs are known exactly: the proxy holds 24 fds + 2 per open connection and 50 MB + 12,000 B per connection, and
 * spends 0.05 cores per 1,000 messages/s; backend b1 holds 20 fds + 1 per connection and 40 MB + 30,000 B each.
 */
export function withProbes(): Results {
  const r = sampleResults();
  const series: ProbePoint[] = [];
  let cpu = 1;
  for (let t = 0; t <= r.series.length; t++) {
    const open = t === 0 ? 0 : (r.series[t - 1]?.open ?? 0);
    const idle = { fds: 20, fdLimit: 20000, rssBytes: 40e6, cpuSeconds: 0.5 };
    series.push({
      t,
      pairs: [],
      components: {
        proxy: { fds: 24 + 2 * open, fdLimit: 20000, rssBytes: 50e6 + 12_000 * open, cpuSeconds: cpu },
        b1: { fds: 20 + open, fdLimit: 20000, rssBytes: 40e6 + 30_000 * open, cpuSeconds: cpu },
        b2: idle,
        b3: idle,
      },
    });
    const s = r.series[t];
    if (s !== undefined) cpu += ((s.messagesSent + s.messagesReceived) / 1000) * 0.05;
  }
  r.probes = { intervalMs: 1000, portRange: [32768, 60999], series };
  return r;
}

const c = (value: number): Cost => ({ value, spread: 0, samples: 1, source: 'test' });

/** Round costs so every expected figure below can be checked by hand. */
export function roundCosts(over: { idleFds?: number } = {}): Costs {
  return {
    origin: 'reference',
    label: 'test costs',
    balancer: { memoryPerConnection: c(10_000), fdsPerConnection: c(2), idleFds: c(over.idleFds ?? 0), idleMemoryBytes: c(0), cpuPer1000Messages: c(0.1), cpuPer100NewConnections: c(0.1) },
    backend: { memoryPerConnection: c(20_000), fdsPerConnection: c(1), idleFds: c(0), idleMemoryBytes: c(0), cpuPer1000Messages: c(0.1), cpuPer100NewConnections: c(0.1) },
    orchestratorCpuPer100Lookups: c(0.5),
    notes: [],
  };
}

/** Round generator costs: 10,000 B a connection, 1 fd, a 100 MB coordinator and 50 MB workers, 0.05 cores per 100 new/s. */
export function roundGeneratorCosts(): GeneratorCosts {
  return {
    origin: 'reference',
    label: 'test generator costs',
    memoryPerConnection: c(10_000),
    fdsPerConnection: c(1),
    coordinatorIdleBytes: c(100_000_000),
    workerIdleBytes: c(50_000_000),
    cpuPer100NewConnections: c(0.05),
    cpuPer1000Messages: c(0.02),
    notes: [],
  };
}
