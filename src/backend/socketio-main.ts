/**
 * Child-process entry of a reference socket.io backend, forked by the lab manager (src/lab/start.ts) when
 * `lab.backends.kind` is `socketio`, with its config `{id, host, port, path?, cookie?, transports?, orchestrator?}`
 * as one JSON argument. With `orchestrator` set it registers and heartbeats like the ws backend.
 */
import { runChild } from '../lab/child-runtime.js';
import { startAgentFor, type BackendOrchestratorConfig } from '../orchestrator/agent.js';
import { startSocketIoBackend, type SocketIoBackendOptions } from './socketio-server.js';

runChild<SocketIoBackendOptions & { orchestrator?: BackendOrchestratorConfig }>('backend', async (config) => {
  const backend = await startSocketIoBackend(config);
  const agent = startAgentFor(config, backend.port, () => backend.stats().sessionsOpen);
  const close = async (): Promise<void> => {
    await agent?.stop();
    await backend.close();
  };
  return { port: backend.port, adminPort: backend.port, close };
});
