/**
 * `wsherd k8s render`: a scenario and a shard count → the manifests that run it on Kubernetes. The scenario is
 * validated first, with only the `-e` values as its variables (they are all the pods will have), so a scenario that
 * would fail in every pod fails here with its file:line:col.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WsherdError } from '../errors.js';
import { plannedDurationMs } from '../load/schedule.js';
import { loadScenario } from '../scenario/load.js';
import type { Env } from '../scenario/interpolate.js';
import type { Scenario } from '../scenario/types.js';
import { bundleScenario } from './bundle.js';
import { buildManifests, type Manifest, type Plan } from './manifests.js';
import {
  checkName, checkQuantity, checkRunId, checkShards, cpuCores, defaultRunId, MAX_NAME, parseBarrier, parseTimeoutMs, slug,
  type RenderFlags,
} from './options.js';
import { clientsPerShard, fdNote, memoryFor, portsFor, resultsVolumeSize, type MemoryEstimate } from './resources.js';
import { fileNameOf, toYaml } from './yaml.js';

export interface RenderResult {
  manifests: Manifest[];
  plan: Plan;
  /** The whole multi-document YAML. */
  yaml: string;
  /** For stderr: what was rewritten, estimated or may not work. */
  notes: string[];
}

const DEFAULT_CPU = '2';
const DEFAULT_BARRIER_TIMEOUT = '10m';

/**
 * `vars`: the -e items as variables, parsed by the command (src/cli/env-flag.ts: a malformed item is its error);
 * absent, they are split here at the first '='.
 */
export async function renderK8s(file: string, flags: RenderFlags, now: Date = new Date(), vars?: Env): Promise<RenderResult> {
  checkShards(flags.shards);
  if (flags.image.trim() === '') throw new WsherdError('WSH_ERR_INVALID_INPUT', '--image is empty.', { hint: 'name the wsherd image the pods run, e.g. --image ghcr.io/you/wsherd:0.1.0 (docs/sharding.md: building it)' });
  const barrier = parseBarrier(flags.barrier);
  const barrierTimeout = flags.barrierTimeout ?? DEFAULT_BARRIER_TIMEOUT;
  const barrierTimeoutMs = parseTimeoutMs('--barrier-timeout', barrierTimeout);
  const cpu = checkQuantity('--cpu', flags.cpu ?? DEFAULT_CPU, '2');
  if (flags.memory !== undefined) checkQuantity('--memory', flags.memory, '4Gi');
  const namespace = checkName('--namespace', flags.namespace ?? 'default');
  if (flags.resultsPvc !== undefined) checkName('--results-pvc', flags.resultsPvc, 253);

  // The pods get the -e values and nothing else of this shell's environment: check with exactly those.
  const scenario = await loadScenario(file, { env: vars ?? envOf(flags.env ?? []) });
  checkTarget(scenario, file);
  const shards = flags.shards;
  if (shards > scenario.clients) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `--shards ${shards} is more than the scenario's ${scenario.clients} clients: a shard would have none.`, { hint: `use --shards ${scenario.clients} or fewer` });
  }
  const name = checkName('--name', flags.name ?? `wsherd-${slug(scenario.name, MAX_NAME - 7)}`, MAX_NAME);
  const runId = checkRunId(flags.runId ?? defaultRunId(scenario.name, now));

  const perShard = clientsPerShard(scenario.clients, shards);
  const ports = portsFor(scenario, perShard, shards);
  const memory = flags.memory === undefined ? memoryFor(scenario, perShard, cpuCores(cpu)) : undefined;
  const bundle = await bundleScenario(file, scenario);
  const durationMs = plannedDurationMs(scenario.phases);
  const plan: Plan = {
    name, namespace, runId, image: flags.image, shards,
    scenarioPath: bundle.files[0]?.path ?? path.basename(file),
    files: bundle.files, barrier, barrierTimeout, barrierTimeoutMs, durationMs,
    env: flags.env ?? [], cpu, memory: flags.memory ?? (memory as MemoryEstimate).quantity,
    ...(ports.sysctl === undefined ? {} : { sysctl: ports.sysctl }),
    ...(flags.resultsPvc === undefined ? {} : { resultsPvc: flags.resultsPvc }),
    ...(flags.storageClass === undefined ? {} : { storageClass: flags.storageClass }),
    pvcSize: resultsVolumeSize(durationMs, shards),
  };
  const manifests = buildManifests(plan);
  const notes = [...bundle.rewritten.map((r) => `Rewritten for the mount: ${r}`), ...bundle.warnings];
  if (memory !== undefined) notes.push(`Memory per shard: ${plan.memory} = ${memory.formula} (docs/sharding.md; --memory to set it).`);
  if (ports.sysctl !== undefined) notes.push(`A shard needs ${ports.needed.toLocaleString('en-US')} local ports towards the target: the shard pods set net.ipv4.ip_local_port_range="${ports.sysctl}".`);
  const fd = fdNote(scenario, perShard);
  if (fd !== undefined) notes.push(fd);
  if (/^wss?:\/\/(127\.|localhost|\[::1\])/.test(scenario.target?.url ?? '')) {
    notes.push(`The target ${scenario.target?.url ?? ''} is a loopback address: in a pod it is the pod itself. Pass the real URL, e.g. -e WSHERD_TARGET=ws://app.default.svc:8080/.`);
  }
  const header = [
    `wsherd k8s render ${path.basename(file)}: ${scenario.clients.toLocaleString('en-US')} clients in ${shards} shards of at most ${perShard.toLocaleString('en-US')}, run ${runId}.`,
    `kubectl apply -f <this>; kubectl wait --for=condition=complete --timeout=-1s -n ${namespace} job/${name}-merge`,
    'Then copy the merged report out: docs/sharding.md, "Kubernetes".',
  ].join('\n');
  return { manifests, plan, yaml: toYaml(manifests, header), notes };
}

function envOf(items: readonly string[]): Env {
  const env: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq > 0) env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return env;
}

/** Shards drive an external target; a `lab:` would start one lab per pod, each measuring its own. */
function checkTarget(scenario: Scenario, file: string): void {
  if (scenario.lab === undefined) return;
  throw new WsherdError('WSH_ERR_INVALID_INPUT', `${file} has a lab: section; sharded runs drive an external target (every shard would start a lab of its own and measure only that).`, {
    hint: 'replace lab: with target: {url: ws://your-service:port/} (or target: ${WSHERD_TARGET} with -e WSHERD_TARGET=…); see scenarios/sharded-target.yaml',
  });
}

/** Writes one file per manifest into `dir` (created), numbered in apply order; returns their paths. */
export async function writeManifests(dir: string, manifests: readonly Manifest[]): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true });
    const files: string[] = [];
    for (const [i, m] of manifests.entries()) {
      const f = path.join(dir, fileNameOf(m, i));
      await writeFile(f, toYaml([m]));
      files.push(f);
    }
    return files;
  } catch (err) {
    throw new WsherdError('WSH_ERR_OUTPUT_UNWRITABLE', `Cannot write the manifests into ${dir}: ${(err as Error).message}.`, { hint: 'choose a folder you can write, or leave out --out to print them', cause: err });
  }
}
