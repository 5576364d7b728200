/**
 * Foreground commands (`lab up`, `backend`, `proxy`) run until Ctrl-C or SIGTERM, then tear down and exit with
 * the documented code (130/143). A second signal while tearing down does not wait: our listeners are removed
 * and the signal is raised again, so Node's default action (or the lab's own cleanup, src/lab/cleanup.ts,
 * which kills the children first) ends the process.
 */
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { takeEarlySignal } from './early-signals.js';

export interface StopSignals {
  /** Aborted, with the signal name as reason, on the first SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** Resolves with the name of the first signal received. */
  readonly received: Promise<NodeJS.Signals>;
  /** 130 after SIGINT, 143 after SIGTERM, undefined before any signal. */
  exitCode(): ExitCodeValue | undefined;
  /** Removes the listeners (call it in `finally`). */
  dispose(): void;
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Starts listening for SIGINT/SIGTERM; `notice` is called once, on the first one (e.g. to say "stopping…"). */
export function watchStopSignals(notice?: (name: NodeJS.Signals) => void): StopSignals {
  const abort = new AbortController();
  let first: NodeJS.Signals | undefined;
  let resolveReceived: (name: NodeJS.Signals) => void = () => {};
  const received = new Promise<NodeJS.Signals>((resolve) => (resolveReceived = resolve));
  const dispose = (): void => {
    for (const s of SIGNALS) process.off(s, onSignal);
  };
  function onSignal(name: NodeJS.Signals): void {
    if (first !== undefined) {
      dispose();
      process.kill(process.pid, name);
      return;
    }
    first = name;
    notice?.(name);
    abort.abort(name);
    resolveReceived(name);
  }
  const early = takeEarlySignal();
  for (const s of SIGNALS) process.on(s, onSignal);
  // A signal during start-up (before this command listened) counts as the first one.
  if (early !== undefined) onSignal(early);
  return {
    signal: abort.signal,
    received,
    exitCode: () => (first === undefined ? undefined : first === 'SIGTERM' ? ExitCode.ABORTED_SIGTERM : ExitCode.ABORTED_SIGINT),
    dispose,
  };
}
