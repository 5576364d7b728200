/**
 * What every flow client of a worker shares (built once per worker, src/load/flow/setup.ts): the compiled flows
 * per role, the role and data row of each slot, the run's time origin for delivery seconds, and how received
 * frames are correlated and typed.
 */
import type { CorrelateSpec, JsonPath } from '../../scenario/flow-types.js';
import type { CStep } from './compile.js';
import type { FlowScript } from './script-api.js';

/** One role's program: compiled steps, or a script module (loaded once per worker, asynchronously). */
export type FlowProgram =
  | { kind: 'steps'; steps: CStep[] }
  | { kind: 'script'; module: string; load: () => Promise<FlowScript> };

export interface FlowContext {
  /** Epoch ms of the run's second 0: delivery stamps' seconds count from it. */
  readonly startAt: number;
  readonly deliveryTimeoutMs: number;
  readonly messageTimeoutMs: number;
  readonly correlate: CorrelateSpec | undefined;
  readonly framesType: JsonPath | undefined;
  /** The slot's program (its role's, or the one flow / script). */
  programOf(slot: number): FlowProgram;
  /** The slot's role name (undefined without behavior.roles). */
  roleOf(slot: number): string | undefined;
  /** The slot's row of behavior.data (undefined without it). */
  rowOf(slot: number): Readonly<Record<string, string>> | undefined;
  /** The slot's population group, for {{ group }}. */
  groupOf(slot: number): string | undefined;
  /** behavior.send_during_ramp: false delays a flow opened during a ramp up to the ramp's end (ClientContext.sendsFrom). */
  readonly sendsFrom?: (nowPerf: number) => number;
  /** Values of the secret columns of the slot's row: written `<redacted>` wherever a sample quotes them. */
  secretsOf(slot: number): readonly string[];
}

/** `text` with every secret value replaced by `<redacted>`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('<redacted>');
  return out;
}
