/**
 * How many load-generator processes a run needs. Each established client holds one fd in its worker; a
 * worker keeps 20% of its limit (and 200 more) free for the runtime, /proc reads and sockets that are still
 * closing, so it never meets its own EMFILE — a generator limit would otherwise pass for a target failure.
 * At least one worker per core, so both cores drive load.
 */
export function clientsPerWorker(fdLimit: number): number {
  return Math.max(1, Math.floor(fdLimit * 0.8) - 200);
}

export function defaultWorkerCount(clients: number, fdLimit: number, cores: number): number {
  const limit = fdLimit > 0 ? fdLimit : 1024;
  return Math.max(1, cores, Math.ceil(clients / clientsPerWorker(limit)));
}
