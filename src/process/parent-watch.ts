/**
 * A child process (load worker, lab component) must never outlive its parent, even one killed with SIGKILL. The IPC
 * channel's 'disconnect' says so at once — but only to a listener that exists: a parent that dies while the child is
 * still loading its modules disconnects before the listener is added, and such a child waited for a `start` that never
 * came. So: act on a channel already gone, and also watch the parent's pid (a child whose parent died is re-parented).
 */

/** How often the parent's pid is checked, ms. */
const WATCH_MS = 500;

/** Calls `gone` once when the parent is gone; returns a function that stops watching. */
export function watchParent(gone: () => void): () => void {
  const parent = process.ppid;
  let done = false;
  const fire = (): void => {
    if (done) return;
    done = true;
    stop();
    gone();
  };
  const onDisconnect = (): void => fire();
  process.on('disconnect', onDisconnect);
  const timer = setInterval(() => {
    if (process.ppid !== parent) fire();
  }, WATCH_MS);
  timer.unref();
  function stop(): void {
    clearInterval(timer);
    process.off('disconnect', onDisconnect);
  }
  // Forked with an IPC channel that is already closed: the parent died before this module ran.
  if (process.send !== undefined && !process.connected) queueMicrotask(fire);
  return stop;
}
