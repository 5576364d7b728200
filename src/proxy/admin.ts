/**
 * The proxy's admin endpoint, on its own loopback port so it never competes with relayed traffic:
 * `GET /`, `/stats` or /__wsherd/stats → ProxyStats JSON; `GET /metrics` → the same figures as Prometheus text;
 * `/backends…` → run-time add, remove, drain and weight changes (admin-backends.ts).
 */
import http from 'node:http';
import type { ProxyStats } from '../results/lab-types.js';
import { STATS_PATH } from '../backend/identity.js';
import { handleBackends } from './admin-backends.js';
import type { BackendPool } from './pool.js';

/** Without `pool` the endpoint is read-only (no /backends routes). */
export function createAdminServer(stats: () => ProxyStats, pool?: BackendPool): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (pool && handleBackends(pool, req, res, path)) return;
    if (req.method !== 'GET') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET' }).end('Only GET is supported.\n');
    } else if (path === '/' || path === '/stats' || path === STATS_PATH) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats()));
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(toPrometheus(stats()));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: try GET /stats or GET /metrics\n');
    }
  });
}

type Sample = [labels: Record<string, string>, value: number];

/** Prometheus text exposition (format 0.0.4) of a ProxyStats. */
export function toPrometheus(s: ProxyStats): string {
  const out: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: Sample[]): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${formatLabels(labels)} ${value}`);
  };
  const info = { strategy: s.strategy, mode: s.mode };
  const per = (pick: (b: ProxyStats['backends'][number]) => number): Sample[] => s.backends.map((b) => [{ backend: b.id }, pick(b)]);
  metric('wsherd_proxy_info', 'gauge', 'Strategy and mode of this proxy.', [[info, 1]]);
  metric('wsherd_proxy_connections_total', 'counter', 'Client connections accepted.', [[{}, s.connectionsTotal]]);
  metric('wsherd_proxy_connections_open', 'gauge', 'Client connections open now.', [[{}, s.connectionsOpen]]);
  metric('wsherd_proxy_accepts_refused_total', 'counter', 'Accepts that failed because the proxy was out of fds.', [[{}, s.acceptsRefused]]);
  metric('wsherd_proxy_maxconn_refused_total', 'counter', 'Clients closed at once because maxconn connections were open.', [[{}, s.maxconnRefused ?? 0]]);
  if (s.requestsTotal !== undefined) {
    metric('wsherd_proxy_requests_total', 'counter', 'L7: HTTP requests routed (upgrades not included).', [[{}, s.requestsTotal]]);
    metric('wsherd_proxy_upgrades_total', 'counter', 'L7: WebSocket upgrade requests routed.', [[{}, s.upgradesTotal ?? 0]]);
  }
  if (s.tables !== undefined) {
    metric('wsherd_proxy_table_entries', 'gauge', 'Entries in the sticky strategy tables (cookie, stick, sid).', Object.entries(s.tables).map(([table, n]) => [{ table }, n]));
  }
  if (s.sticky !== undefined) {
    metric('wsherd_proxy_sticky_decisions_total', 'counter', 'Sticky routing decisions by kind (hits, placed, learned, forged, stale…).', Object.entries(s.sticky).map(([kind, n]) => [{ kind }, n]));
  }
  if (s.hash !== undefined) {
    metric('wsherd_proxy_hash_picks_total', 'counter', 'Request-keyed hashing: picks that hashed the key, and fallbacks to round robin (key absent).', Object.entries(s.hash).map(([kind, n]) => [{ kind }, n]));
  }
  metric('wsherd_proxy_errors_total', 'counter', 'Failures by reason.', Object.entries(s.errors).map(([reason, n]) => [{ reason }, n]));
  metric('wsherd_proxy_backend_healthy', 'gauge', '1 when the backend is in rotation.', per((b) => (b.healthy ? 1 : 0)));
  metric('wsherd_proxy_backend_active', 'gauge', 'Open connections to the backend.', per((b) => b.active));
  metric('wsherd_proxy_backend_connections_total', 'counter', 'Connections relayed to the backend.', per((b) => b.total));
  metric('wsherd_proxy_backend_failures_total', 'counter', 'Failed connects to the backend.', per((b) => b.failures));
  metric('wsherd_proxy_backend_weight', 'gauge', 'Current weight (0 while drained).', per((b) => b.weight ?? 1));
  metric('wsherd_proxy_backend_checks_failed_total', 'counter', 'Failed health checks, passive ones included.', per((b) => b.checks?.failed ?? 0));
  const bySource = (pick: (b: ProxyStats['backends'][number]) => Record<string, number> | undefined): Sample[] =>
    s.backends.flatMap((b) => Object.entries(pick(b) ?? {}).map(([source, n]): Sample => [{ backend: b.id, source }, n]));
  metric('wsherd_proxy_backend_ports', 'gauge', 'Upstream connections per local source address.', bySource((b) => b.ports));
  metric('wsherd_proxy_backend_source_errors_total', 'counter', 'Upstream connects failed for lack of ports or fds, per source.', bySource((b) => b.sourceErrors));
  metric('process_open_fds', 'gauge', 'Open file descriptors.', [[{}, s.process.fds]]);
  metric('process_max_fds', 'gauge', 'Soft limit on open file descriptors.', [[{}, s.process.fdLimit]]);
  metric('process_resident_memory_bytes', 'gauge', 'Resident set size in bytes.', [[{}, s.process.rssBytes]]);
  metric('wsherd_proxy_event_loop_lag_seconds', 'gauge', 'p99 event-loop delay over the last second (the worst process).', [[{}, s.process.eventLoopLagMs / 1000]]);
  if (s.workers !== undefined) {
    const w = (pick: (x: NonNullable<ProxyStats['workers']>[number]) => number): Sample[] => (s.workers ?? []).map((x) => [{ pid: String(x.pid) }, pick(x)]);
    metric('wsherd_proxy_worker_connections_open', 'gauge', 'Client connections open per worker process.', w((x) => x.connectionsOpen));
    metric('wsherd_proxy_worker_open_fds', 'gauge', 'Open file descriptors per worker process.', w((x) => x.fds));
  }
  return out.join('\n') + '\n';
}

function formatLabels(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}
