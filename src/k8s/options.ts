/**
 * The flags of `wsherd k8s render`, checked before anything is built: every value that ends up in a manifest must be
 * one Kubernetes accepts (a DNS-1123 name, a resource quantity), so `kubectl apply` never is the first to say no.
 */
import { WsherdError } from '../errors.js';
import { parseDuration } from '../scenario/duration.js';

export type BarrierChoice = { kind: 'http' } | { kind: 'none' } | { kind: 'redis'; url: string };

export interface RenderFlags {
  shards: number;
  image: string;
  name?: string;
  namespace?: string;
  runId?: string;
  resultsPvc?: string;
  storageClass?: string;
  cpu?: string;
  memory?: string;
  barrier?: string;
  barrierTimeout?: string;
  /** `-e NAME=VALUE` items, passed on to every shard as they are. */
  env?: readonly string[];
}

/** The port the barrier server listens on in its pod (`wsherd barrier --port`), and its Service's port. */
export const BARRIER_PORT = 8089;
/** An Indexed Job runs at most this many indexes in parallel here: beyond it a run is more than a render should guess. */
export const MAX_SHARDS = 1000;
/** Object names get suffixes (`-barrier`, `-shards`, the pod's `-<index>`); a Job name must stay a 63-character label. */
export const MAX_NAME = 40;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A label value: the run id is also written as a label, so it obeys the label rules. */
const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const QUANTITY = /^(\d+(\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;

function invalid(message: string, hint: string): WsherdError {
  return new WsherdError('WSH_ERR_INVALID_INPUT', message, { hint });
}

export function checkShards(shards: number): void {
  if (!Number.isInteger(shards) || shards < 1) throw invalid(`--shards ${shards}: expected a whole number of shards, 1 or more.`, 'e.g. --shards 4 (one pod per shard)');
  if (shards > MAX_SHARDS) throw invalid(`--shards ${shards} is more than ${MAX_SHARDS}.`, `give at most ${MAX_SHARDS}, each shard holding more clients`);
}

export function checkName(flag: string, value: string, max = 63): string {
  if (value.length > max || !DNS_LABEL.test(value)) {
    throw invalid(`${flag} ${JSON.stringify(value)} is not a Kubernetes name: lower-case letters, digits and '-', starting and ending with a letter or digit, at most ${max} characters.`, `e.g. ${flag} wsherd-checkout`);
  }
  return value;
}

export function checkRunId(value: string): string {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    throw invalid(`--run-id ${JSON.stringify(value)}: a run id is written as a Kubernetes label, so letters, digits, '-', '_' and '.', starting and ending with a letter or digit, at most 63 characters.`, 'e.g. --run-id checkout-20261207-2130');
  }
  return value;
}

/** A CPU or memory quantity as a container's resources take it (`2`, `500m`, `4Gi`). */
export function checkQuantity(flag: string, value: string, example: string): string {
  if (!QUANTITY.test(value)) throw invalid(`${flag} ${JSON.stringify(value)} is not a Kubernetes quantity.`, `e.g. ${flag} ${example}`);
  return value;
}

/** Cores of a CPU quantity (`500m` → 0.5). */
export function cpuCores(quantity: string): number {
  const m = QUANTITY.exec(quantity);
  if (m === null) return 1;
  const n = Number(m[1]);
  return m[3] === 'm' ? n / 1000 : n;
}

export function parseBarrier(value: string | undefined): BarrierChoice {
  const v = value ?? 'http';
  if (v === 'http') return { kind: 'http' };
  if (v === 'none') return { kind: 'none' };
  if (v.startsWith('redis://')) {
    try {
      if (new URL(v).hostname !== '') return { kind: 'redis', url: v };
    } catch {
      // reported below
    }
  }
  throw invalid(`--barrier ${JSON.stringify(v)}: expected http (a barrier pod of the render's own), none, or a redis://host:port URL.`, 'e.g. --barrier http, or --barrier redis://redis.load.svc:6379');
}

export function parseTimeoutMs(flag: string, value: string, minMs = 1000): number {
  const d = parseDuration(value);
  if ('error' in d) throw invalid(`${flag} ${value} ${d.error}.`, d.hint);
  if (d.ms < minMs) throw invalid(`${flag} ${value} is shorter than ${minMs >= 1000 ? `${minMs / 1000} s` : `${minMs} ms`}.`, 'e.g. 10m');
  return d.ms;
}

/** `checkout flow #2` → `checkout-flow-2`: a scenario name made into a DNS label prefix. */
export function slug(text: string, max = MAX_NAME): string {
  const s = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, max).replace(/-+$/, '');
  return s === '' ? 'run' : s;
}

/** A run id from the scenario's name and the time (UTC, to the second): distinct per render, readable in a listing. */
export function defaultRunId(name: string, now: Date): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').replace('T', '-');
  return `${slug(name, 63 - t.length - 1)}-${t}`;
}
