/**
 * `wsherd lab up` as a library: take the lab out of a scenario, start it, hand it to the caller to announce,
 * keep it up until the caller's signal aborts or a component dies, and always tear it down.
 */
import { WsherdError } from '../errors.js';
import { table } from '../report/table.js';
import type { Scenario, LabSpec } from '../scenario/types.js';
import { startLab, type StartLabOptions } from './start.js';
import type { Lab } from './types.js';
import { redactUrl } from '../results/redact.js';

/**
 * The scenario's lab; a scenario that names an external `target` has none to start (WSH_ERR_INVALID_INPUT).
 * `where` names the scenario in the message (the path as the user typed it); default its file.
 */
export function labSpecOf(scenario: Scenario, where: string = scenario.file ?? scenario.name): LabSpec {
  if (scenario.lab) return scenario.lab;
  const target = scenario.target ? ` (it drives the external target ${redactUrl(scenario.target.url)})` : '';
  throw new WsherdError('WSH_ERR_INVALID_INPUT', `Scenario ${where} has no \`lab\` section${target}, so there is no lab to start.`, {
    hint: 'Give the scenario a `lab:` section (see scenarios/quickstart.yaml), or use `wsherd run` to drive the target.',
  });
}

export interface HoldLabOptions extends Omit<StartLabOptions, 'signal'> {
  /** Aborting it (e.g. on SIGINT) stops the lab, during start-up too (startLab then rejects WSH_ERR_ABORTED). */
  signal: AbortSignal;
  /** Called once every component is ready, before waiting. */
  onReady(lab: Lab): void;
}

/**
 * Starts the lab and keeps it up until `signal` aborts (resolves, after teardown) or a component dies
 * (rejects with WSH_ERR_LAB_DIED naming it, after tearing down the rest).
 */
export async function holdLab(spec: LabSpec, opts: HoldLabOptions): Promise<void> {
  const { onReady, signal, ...startOpts } = opts;
  const lab = await startLab(spec, { ...startOpts, signal });
  try {
    onReady(lab);
    const died = await Promise.race([lab.died, aborted(signal).then(() => undefined)]);
    if (died !== undefined) {
      throw new WsherdError('WSH_ERR_LAB_DIED', died, { hint: 'The other components were stopped; see the reason above.' });
    }
  } finally {
    await lab.stop();
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** The lab as `lab up` prints it: one line per component (id, kind, pid, URL, admin URL), then the entry URL. */
export function describeLab(lab: Lab, name: string): string {
  const rows = [
    ['ID', 'KIND', 'PID', 'URL', 'ADMIN'],
    ...lab.components.map((c) => [c.id, c.kind, String(c.pid), c.url, c.adminUrl]),
  ];
  const backends = lab.components.filter((c) => c.kind === 'backend').length;
  return [
    `Lab ${name} is up: ${backends} backend${backends === 1 ? '' : 's'} behind the proxy.`,
    ...table(rows),
    `Entry: ${lab.entryUrl}`,
  ].join('\n');
}
