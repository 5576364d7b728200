/**
 * Child-process entry of a reference backend, forked by the lab manager (src/lab/start.ts) with its config
 * `{id, host, port, orchestrator?}` as one JSON argument. With `orchestrator` set, the backend also runs an agent
 * that registers it there and heartbeats its open sessions (see src/orchestrator/agent.ts).
 */
import { runChild } from '../lab/child-runtime.js';
import { startAgentFor, type BackendOrchestratorConfig } from '../orchestrator/agent.js';
import { startBackend, type BackendOptions } from './server.js';

runChild<BackendOptions & { orchestrator?: BackendOrchestratorConfig }>('backend', async (config) => {
  const backend = await startBackend(config);
  const agent = startAgentFor(config, backend.port, () => backend.stats().sessionsOpen);
  const close = async (): Promise<void> => {
    await agent?.stop();
    await backend.close();
  };
  return { port: backend.port, adminPort: backend.port, close };
});
