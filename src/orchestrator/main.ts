/**
 * Child-process entry of the reference orchestrator, forked by the lab manager with its config as one JSON
 * argument. Its one HTTP port is both the API clients and agents use and the admin port the lab reads stats from
 * (GET /v1/stats). With `redis` set, several orchestrator children of one lab share their registry.
 */
import { runChild } from '../lab/child-runtime.js';
import { MemoryRegistry, type Registry } from './registry.js';
import { RedisRegistry } from './registry-redis.js';
import { startOrchestrator, type OrchestratorOptions } from './server.js';
import type { OrchestratorHealthOptions } from './health.js';

export interface OrchestratorChildConfig {
  /** The component's id in the lab, e.g. `orch1`. */
  id: string;
  host?: string;
  port?: number;
  token: string;
  strategy: OrchestratorOptions['strategy'];
  /** redis://host:port[/db]: share the registry with the other orchestrator instances. Absent: in memory. */
  redis?: string;
  /** Several orchestrator clusters may share one Redis. Default `default`. */
  cluster?: string;
  health?: OrchestratorHealthOptions;
  heartbeatTimeoutMs?: number;
  leaseMs?: number;
  fallbacks?: number;
}

runChild<OrchestratorChildConfig>('orchestrator', async (config) => {
  const heartbeatTimeoutMs = config.heartbeatTimeoutMs;
  const registry: Registry =
    config.redis === undefined
      ? new MemoryRegistry({ ...(heartbeatTimeoutMs === undefined ? {} : { heartbeatTimeoutMs }) })
      : await RedisRegistry.open(config.redis, { ...(config.cluster === undefined ? {} : { cluster: config.cluster }) });
  const orch = await startOrchestrator({
    token: config.token,
    strategy: config.strategy,
    registry,
    ...(config.host === undefined ? {} : { host: config.host }),
    ...(config.port === undefined ? {} : { port: config.port }),
    ...(config.health === undefined ? {} : { health: config.health }),
    ...(heartbeatTimeoutMs === undefined ? {} : { heartbeatTimeoutMs }),
    ...(config.leaseMs === undefined ? {} : { leaseMs: config.leaseMs }),
    ...(config.fallbacks === undefined ? {} : { fallbacks: config.fallbacks }),
  }).catch(async (err: unknown) => {
    await registry.close();
    throw err;
  });
  return { port: orch.port, adminPort: orch.port, close: orch.close };
});
