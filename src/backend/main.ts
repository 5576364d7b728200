/**
 * Child-process entry of a reference backend, forked by the lab manager (src/lab/start.ts) with its config
 * `{id, host, port}` as one JSON argument.
 */
import { runChild } from '../lab/child-runtime.js';
import { startBackend, type BackendOptions } from './server.js';

runChild<BackendOptions>('backend', async (config) => {
  const backend = await startBackend(config);
  return { port: backend.port, adminPort: backend.port, close: backend.close };
});
