/**
 * Child-process entry of the reference proxy, forked by the lab manager (src/lab/start.ts) with its
 * ProxyOptions as one JSON argument.
 */
import { runChild } from '../lab/child-runtime.js';
import { startProxy, type ProxyOptions } from './server.js';

runChild<ProxyOptions>('proxy', async (config) => {
  const proxy = await startProxy(config);
  return { port: proxy.port, adminPort: proxy.adminPort, close: proxy.close };
});
