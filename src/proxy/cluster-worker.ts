/**
 * Entry of a proxy cluster worker (forked by cluster.ts): one proxy instance on the shared port, without its
 * own admin endpoint; it answers the primary's stats and /backends requests and asks it for sticky tables. It
 * exits when the primary says so or goes away (Node's cluster exits a worker whose IPC channel closes).
 */
import { isWsherdError } from '../errors.js';
import { executeBackends } from './admin-backends.js';
import type { ToPrimary, ToWorker, WorkerConfig } from './cluster-protocol.js';
import { startInstance, type RunningInstance } from './instance.js';
import { IpcStore } from './ipc-store.js';
import { openStore } from './store/index.js';
import type { StickyStore } from './store/types.js';
import { STICKY_TABLES } from './server.js';

const toPrimary = (msg: ToPrimary): void => {
  if (process.connected) process.send?.(msg);
};

/** The primary's first message is the config (kept off argv: /proc/PID/cmdline is world-readable). */
function configFromPrimary(): Promise<WorkerConfig> {
  return new Promise((resolve) => {
    const onMessage = (msg: ToWorker): void => {
      if (msg.t !== 'config') return;
      process.off('message', onMessage);
      resolve(msg.config);
    };
    process.on('message', onMessage);
    // Asked for once listening: a message sent before the listener exists would be dropped.
    toPrimary({ t: 'awaiting-config' });
  });
}

async function main(): Promise<void> {
  const config = await configFromPrimary();
  const ipcStore = config.store === 'primary' ? new IpcStore(toPrimary) : undefined;
  let instance: RunningInstance | undefined;
  process.on('message', (msg: ToWorker) => {
    if (msg.t === 'store-reply') ipcStore?.onMessage(msg);
    else if (msg.t === 'stats' && instance) toPrimary({ t: 'reply', id: msg.id, value: instance.stats() });
    else if (msg.t === 'backends' && instance) toPrimary({ t: 'reply', id: msg.id, value: executeBackends(instance.pool, msg.cmd) });
    else if (msg.t === 'shutdown') {
      void instance?.close().then(() => process.disconnect());
    }
  });
  // The primary relays Ctrl-C as it decides; a terminal's SIGINT to the group must not kill workers first.
  process.on('SIGINT', () => {});
  try {
    const store: StickyStore | undefined = config.store === 'own' ? await openStore(config.opts.store, { tables: [...STICKY_TABLES] }) : ipcStore;
    instance = await startInstance({ ...config.opts, workers: config.clusterSize }, { tlsMaterial: config.tlsPem === undefined ? undefined : { ...config.tlsPem, source: 'files', fingerprint256: '', validTo: '' }, store, withAdmin: false });
    toPrimary({ t: 'ready', port: instance.port });
  } catch (err) {
    toPrimary({ t: 'failed', message: err instanceof Error ? err.message : String(err), ...(isWsherdError(err) ? { code: err.code } : {}) });
    process.exitCode = 1;
    process.disconnect();
  }
}

void main();
