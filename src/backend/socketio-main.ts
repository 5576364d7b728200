/**
 * Child-process entry of a reference socket.io backend, forked by the lab manager (src/lab/start.ts) when
 * `lab.backends.kind` is `socketio`, with its config `{id, host, port, path?, cookie?, transports?}` as one JSON argument.
 */
import { runChild } from '../lab/child-runtime.js';
import { startSocketIoBackend, type SocketIoBackendOptions } from './socketio-server.js';

runChild<SocketIoBackendOptions>('backend', async (config) => {
  const backend = await startSocketIoBackend(config);
  return { port: backend.port, adminPort: backend.port, close: backend.close };
});
