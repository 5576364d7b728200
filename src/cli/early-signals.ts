/**
 * SIGINT/SIGTERM from the first instruction of the CLI. Loading oclif and a command takes most of a second; a signal
 * in that window used to kill the process by Node's default action, so `wsherd run` stopped during start-up wrote no
 * results folder. bin/run.js imports this module before anything else: it notes the first signal, and the command
 * takes it over — run and compare start their run already aborted (an `aborted` results folder is still written),
 * the foreground servers stop at once, and every other command ends as the signal would have ended it.
 */
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
let first: NodeJS.Signals | undefined;
let installed = false;

function note(name: NodeJS.Signals): void {
  first ??= name;
}

export function installEarlySignals(): void {
  if (installed) return;
  installed = true;
  for (const s of SIGNALS) process.on(s, note);
  // `ps` and `top` name the CLI (not a bare `node`); it also marks, in /proc/PID/cmdline, that signals are noted.
  process.title = 'wsherd';
}

/** Stops noting signals and returns the first one noted, if any: the caller now handles SIGINT/SIGTERM itself. */
export function takeEarlySignal(): NodeJS.Signals | undefined {
  if (installed) for (const s of SIGNALS) process.off(s, note);
  installed = false;
  const s = first;
  first = undefined;
  return s;
}

/** For a command that does not handle signals: a signal noted during start-up ends the process as it would have. */
export function releaseEarlySignals(): void {
  const s = takeEarlySignal();
  if (s !== undefined) process.kill(process.pid, s);
}

installEarlySignals();
