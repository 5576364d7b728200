/**
 * Skew explained by where clients come from: per population group, how its connections spread over the
 * backends, and which group drove the hottest backend. A source hash is only as even as its inputs; a backend
 * hot because 40% of clients share one NAT address is a different finding from one hot by the strategy's own
 * arithmetic, and this is what tells them apart.
 */
import type { PopulationSpec } from '../scenario/types.js';
import type { BackendResult } from '../results/types.js';
import { addressCount, groupCounts } from '../load/population.js';
import type { GroupResult, PopulationResult } from '../results/derived.js';

export function populationResult(spec: PopulationSpec, clients: number, groupBackends: Record<string, Record<string, number>>, perBackend: readonly BackendResult[]): PopulationResult {
  const counts = groupCounts(spec.groups.map((g) => g.share), clients);
  const groups: GroupResult[] = spec.groups.map((g, i) => {
    const per = { ...(groupBackends[g.name] ?? {}) };
    delete per['unknown'];
    const connections = Object.values(per).reduce((a, b) => a + b, 0);
    return { name: g.name, share: g.share, addresses: addressCount(g.addresses), clients: counts[i] ?? 0, connections, perBackend: per, backendsReached: Object.values(per).filter((n) => n > 0).length };
  });
  const hot = [...perBackend].sort((a, b) => b.connections - a.connections)[0];
  if (hot === undefined || hot.connections === 0) return { groups, diagnosis: 'No connection reached a backend.' };
  let best: GroupResult | undefined;
  for (const g of groups) if ((g.perBackend[hot.id] ?? 0) > (best?.perBackend[hot.id] ?? 0)) best = g;
  if (best === undefined) return { groups, diagnosis: `The hottest backend, ${hot.id}, got no connection from a population group.` };
  const on = best.perBackend[hot.id] ?? 0;
  const shareOfBackend = on / hot.connections;
  const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
  const diagnosis = `The hottest backend, ${hot.id} (${pct(hot.share)} of connections), got ${pct(shareOfBackend)} of its connections from group ${best.name} (${pct(best.share)} of clients, ${best.addresses.toLocaleString('en-US')} address${best.addresses === 1 ? '' : 'es'}, reaching ${best.backendsReached} backend${best.backendsReached === 1 ? '' : 's'}).`;
  return { groups, hottest: { backend: hot.id, group: best.name, connections: on, shareOfBackend }, diagnosis };
}
