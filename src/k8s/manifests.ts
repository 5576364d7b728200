/**
 * The manifests of a sharded run, as plain objects in the order `kubectl apply` should create them: the results
 * volume, the scenario ConfigMap, the merge pod's read access to the shard Job, the barrier (a Service and a one-pod
 * Job), the shards (an Indexed Job: pod i runs `wsherd run --shards N` with i from JOB_COMPLETION_INDEX), and the
 * merge Job, which waits for the shards' results and merges them. Pure: the same plan gives the same objects.
 */
import type { BundledFile } from './bundle.js';
import { SCENARIO_MOUNT } from './bundle.js';
import { BARRIER_PORT, type BarrierChoice } from './options.js';
import {
  COMPLETION_INDEX_ANNOTATION, CONTAINER_SECURITY, RESULTS_MOUNT, RESULTS_VOLUME_MOUNT, SCENARIO_VOLUME_MOUNT,
  labels, literalArg, metadata, podSecurityContext, resultsVolume, scenarioVolume, type Component, type K8sObject,
} from './pod.js';

export interface Plan {
  name: string;
  namespace: string;
  runId: string;
  image: string;
  shards: number;
  /** The scenario's path under the ConfigMap mount (its file name). */
  scenarioPath: string;
  files: readonly BundledFile[];
  barrier: BarrierChoice;
  /** As typed (`10m`), for wsherd's flags. */
  barrierTimeout: string;
  barrierTimeoutMs: number;
  /** The scenario's planned duration. */
  durationMs: number;
  /** `-e NAME=VALUE` items for every shard. */
  env: readonly string[];
  cpu: string;
  memory: string;
  /** The net.ipv4.ip_local_port_range value, when the default range is too small for a shard. */
  sysctl?: string;
  /** An existing ReadWriteMany claim; absent: the render makes one of `pvcSize`. */
  resultsPvc?: string;
  pvcSize: string;
  storageClass?: string;
}

/** One manifest and the comments that explain it in the YAML (`path`: where in the object; empty: above it). */
export interface Manifest {
  object: K8sObject;
  comments: Array<{ path: Array<string | number>; text: string }>;
}

/** Image pulls, scheduling and writing results, on top of the barrier wait and the run. */
export const SLACK_MS = 10 * 60_000;

export const names = (p: Pick<Plan, 'name' | 'resultsPvc'>) => ({
  configMap: `${p.name}-scenario`,
  pvc: p.resultsPvc ?? `${p.name}-results`,
  barrier: `${p.name}-barrier`,
  shards: `${p.name}-shards`,
  merge: `${p.name}-merge`,
});

export function barrierUrl(p: Plan): string | undefined {
  if (p.barrier.kind === 'none') return undefined;
  return p.barrier.kind === 'redis' ? p.barrier.url : `http://${names(p).barrier}:${BARRIER_PORT}`;
}

/** The folder of this run on the results volume: one per run id, so a reused claim never mixes two runs. */
export const runDir = (p: Pick<Plan, 'runId'>): string => `${RESULTS_MOUNT}/${p.runId}`;

/** The shards' deadline: the barrier's wait (or the start-up allowance), the run itself, and the slack. */
export const shardDeadlineMs = (p: Plan): number => p.barrierTimeoutMs + p.durationMs + SLACK_MS;

export function buildManifests(p: Plan): Manifest[] {
  const out: Manifest[] = [];
  if (p.resultsPvc === undefined) out.push(resultsClaim(p));
  out.push(scenarioConfigMap(p), ...mergeAccess(p));
  if (p.barrier.kind === 'http') out.push(...barrier(p));
  out.push(shardJob(p), mergeJob(p));
  return out;
}

const meta = (p: Plan, name: string, component: Component) => metadata(name, p.namespace, labels(p.name, p.runId, component));

function resultsClaim(p: Plan): Manifest {
  const object: K8sObject = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(p, names(p).pvc, 'results'),
    spec: {
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: p.pvcSize } },
      ...(p.storageClass === undefined ? {} : { storageClassName: p.storageClass }),
    },
  };
  return {
    object,
    comments: [{ path: [], text: ` Every shard pod writes its results here and the merge pod reads them all, so the volume must be ReadWriteMany\n (NFS, CephFS, EFS, Azure Files, Filestore; --storage-class names the class). ${p.pvcSize}: ~2 MiB + 16 kB per second of\n the run per folder, doubled, at least 1 GiB. An existing claim: --results-pvc CLAIM.` }],
  };
}

function scenarioConfigMap(p: Plan): Manifest {
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  for (const f of p.files) {
    if (f.text !== undefined) data[f.key] = f.text;
    else if (f.bytes !== undefined) binaryData[f.key] = f.bytes.toString('base64');
  }
  const object: K8sObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(p, names(p).configMap, 'scenario'),
    data,
    ...(Object.keys(binaryData).length === 0 ? {} : { binaryData }),
  };
  const listing = p.files.map((f) => `   ${SCENARIO_MOUNT}/${f.path}  (key ${f.key})`).join('\n');
  return { object, comments: [{ path: [], text: ` The scenario and the files it references, mounted at ${SCENARIO_MOUNT}:\n${listing}` }] };
}

/** Read access to the shard Job, so the merge pod can tell a finished (or failed) Job from shards still running. */
function mergeAccess(p: Plan): Manifest[] {
  const n = names(p);
  const m = meta(p, n.merge, 'merge');
  return [
    { object: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: m, automountServiceAccountToken: true }, comments: [{ path: [], text: ' The merge pod reads the shard Job\'s status (get, that one Job only) to stop waiting once it has finished.' }] },
    { object: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: m, rules: [{ apiGroups: ['batch'], resources: ['jobs'], resourceNames: [n.shards], verbs: ['get'] }] }, comments: [] },
    {
      object: {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: m,
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: n.merge },
        subjects: [{ kind: 'ServiceAccount', name: n.merge, namespace: p.namespace }],
      },
      comments: [],
    },
  ];
}

function barrier(p: Plan): Manifest[] {
  const n = names(p);
  const selector = { 'app.kubernetes.io/instance': p.name, 'app.kubernetes.io/component': 'barrier' };
  const service: K8sObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(p, n.barrier, 'barrier'),
    spec: { selector, ports: [{ name: 'http', port: BARRIER_PORT, targetPort: BARRIER_PORT, protocol: 'TCP' }] },
  };
  const job: K8sObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(p, n.barrier, 'barrier'),
    spec: {
      completions: 1,
      parallelism: 1,
      backoffLimit: 0,
      activeDeadlineSeconds: Math.ceil((p.barrierTimeoutMs + SLACK_MS) / 1000),
      template: {
        metadata: { labels: labels(p.name, p.runId, 'barrier') },
        spec: {
          restartPolicy: 'Never',
          securityContext: podSecurityContext(),
          containers: [{
            name: 'barrier',
            image: p.image,
            args: ['barrier', '--host', '0.0.0.0', '--port', String(BARRIER_PORT), '--shards', String(p.shards), '--timeout', p.barrierTimeout],
            ports: [{ name: 'http', containerPort: BARRIER_PORT, protocol: 'TCP' }],
            readinessProbe: { tcpSocket: { port: BARRIER_PORT }, periodSeconds: 2 },
            resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
            securityContext: CONTAINER_SECURITY,
          }],
        },
      },
    },
  };
  return [
    { object: service, comments: [{ path: [], text: ` The shards reach the barrier at http://${n.barrier}:${BARRIER_PORT}.` }] },
    { object: job, comments: [{ path: [], text: ` The barrier: holds every shard until all ${p.shards} have asked, then releases them to start on the same second;\n it exits 0 once all are released (wsherd barrier, docs/sharding.md).` }] },
  ];
}

function shardJob(p: Plan): Manifest {
  const n = names(p);
  const url = barrierUrl(p);
  const args = [
    'run', literalArg(`${SCENARIO_MOUNT}/${p.scenarioPath}`),
    '--shards', String(p.shards),
    '--run-id', p.runId,
    ...(url === undefined ? [] : ['--barrier', literalArg(url), '--barrier-timeout', p.barrierTimeout]),
    // $(JOB_COMPLETION_INDEX) is expanded by Kubernetes from the container's env (declared below).
    '--out', `${runDir(p)}/shard-$(JOB_COMPLETION_INDEX)`,
    '--quiet',
    ...p.env.flatMap((e) => ['-e', literalArg(e)]),
  ];
  const container = {
    name: 'wsherd',
    image: p.image,
    args,
    env: [{ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX_ANNOTATION}']` } } }],
    resources: { requests: { cpu: p.cpu, memory: p.memory }, limits: { cpu: p.cpu, memory: p.memory } },
    volumeMounts: [SCENARIO_VOLUME_MOUNT, RESULTS_VOLUME_MOUNT],
    securityContext: CONTAINER_SECURITY,
  };
  const podLabels = labels(p.name, p.runId, 'shard');
  const object: K8sObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(p, n.shards, 'shard'),
    spec: {
      completionMode: 'Indexed',
      completions: p.shards,
      parallelism: p.shards,
      // Each shard runs once: a rerun would measure another moment, after the barrier has gone. Clusters before
      // 1.29 ignore backoffLimitPerIndex; there backoffLimit bounds the retries of the whole Job.
      backoffLimitPerIndex: 0,
      backoffLimit: p.shards,
      activeDeadlineSeconds: Math.ceil(shardDeadlineMs(p) / 1000),
      template: {
        metadata: { labels: podLabels },
        spec: {
          restartPolicy: 'Never',
          securityContext: podSecurityContext(p.sysctl),
          // One shard per node where the cluster has room: each pod then has its own address, ports and cores.
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { 'app.kubernetes.io/instance': p.name, 'app.kubernetes.io/component': 'shard' } } }],
          containers: [container],
          volumes: [scenarioVolume(n.configMap, p.files), resultsVolume(n.pvc)],
        },
      },
    },
  };
  const podSpec = ['spec', 'template', 'spec'];
  const comments: Manifest['comments'] = [
    { path: [], text: ` ${p.shards} shards of ${p.scenarioPath}, run ${p.runId}: pod i runs \`wsherd run --shards ${p.shards}\` with i from JOB_COMPLETION_INDEX\n and writes ${runDir(p)}/shard-i.` },
    { path: [...podSpec, 'containers', 0, 'resources'], text: ` Kubernetes has no per-pod ulimit: RLIMIT_NOFILE comes from the container runtime (containerd 2 / Docker 25+:\n soft 1024, hard 524288; wsherd raises the soft limit to the hard one). See docs/sharding.md.` },
  ];
  if (p.sysctl !== undefined) {
    comments.push({ path: [...podSpec, 'securityContext', 'sysctls'], text: ' A "safe" (namespaced) sysctl Kubernetes allows by default: a shard needs more local ports than the default 28,232.' });
  }
  return { object, comments };
}

function mergeJob(p: Plan): Manifest {
  const n = names(p);
  const dir = runDir(p);
  const waitMs = shardDeadlineMs(p) + 60_000;
  const merged = `${dir}/merged`;
  // A shell for the glob: only the shards that wrote results are listed; merge names the missing ones.
  const script = `mkdir -p ${merged} && exec wsherd merge ${dir}/shard-*/results.json --out ${merged} --markdown ${merged}/summary.md --junit ${merged}/junit.xml`;
  const object: K8sObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(p, n.merge, 'merge'),
    spec: {
      completions: 1,
      parallelism: 1,
      backoffLimit: 0,
      activeDeadlineSeconds: Math.ceil((waitMs + SLACK_MS) / 1000),
      template: {
        metadata: { labels: labels(p.name, p.runId, 'merge') },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: n.merge,
          securityContext: podSecurityContext(),
          initContainers: [{
            name: 'wait',
            image: p.image,
            args: ['k8s', 'wait', '--dir', dir, '--shards', String(p.shards), '--job', n.shards, '--timeout', `${Math.ceil(waitMs / 1000)}s`],
            volumeMounts: [RESULTS_VOLUME_MOUNT],
            resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
            securityContext: CONTAINER_SECURITY,
          }],
          containers: [{
            name: 'merge',
            image: p.image,
            command: ['/bin/sh', '-c'],
            args: [script],
            volumeMounts: [RESULTS_VOLUME_MOUNT],
            resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } },
            securityContext: CONTAINER_SECURITY,
          }],
          volumes: [resultsVolume(n.pvc)],
        },
      },
    },
  };
  return {
    object,
    comments: [{ path: [], text: ` Waits (at most ${Math.ceil(waitMs / 60_000)} min) until all ${p.shards} shards wrote results or the shard Job has finished, then merges\n them into ${merged} (results.json, index.html, summary.md, junit.xml). Its exit code is merge's: 0 pass, 3\n thresholds failed, 6 a shard missing or failed. Copy the report out: see docs/sharding.md, "Kubernetes".` }],
  };
}
