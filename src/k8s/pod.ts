/**
 * The pieces every wsherd pod shares: labels, the security context (Pod Security "restricted": non-root, no privilege
 * escalation, no capabilities, the runtime's seccomp profile), the volumes, and container args safe from Kubernetes'
 * own `$(VAR)` expansion.
 */
import type { BundledFile } from './bundle.js';
import { SCENARIO_MOUNT } from './bundle.js';

/** A Kubernetes object as plain data (validated in tests against the OpenAPI schema with kubernetes-models). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
  [field: string]: unknown;
}

export interface Metadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Where the results volume is mounted in every pod. */
export const RESULTS_MOUNT = '/results';
/** The `node` user of the node images (uid/gid 1000): the Dockerfile's USER, numeric so runAsNonRoot can verify it. */
export const NODE_UID = 1000;
/** The annotation an Indexed Job puts on each pod (since 1.21; the label of the same name came in 1.28). */
export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
export const RUN_ID_LABEL = 'wsherd/run-id';

export type Component = 'scenario' | 'results' | 'barrier' | 'shard' | 'merge';

export function labels(name: string, runId: string, component: Component): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'wsherd',
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/component': component,
    [RUN_ID_LABEL]: runId,
  };
}

export function metadata(name: string, namespace: string, objectLabels: Record<string, string>): Metadata {
  return { name, namespace, labels: objectLabels };
}

/**
 * Kubernetes expands `$(NAME)` in args from the container's env, and `$$` is its escape: a user's value holding
 * `$(` must reach wsherd as written.
 */
export function literalArg(value: string): string {
  return value.replace(/\$/g, '$$$$');
}

export function podSecurityContext(sysctl?: string): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    runAsUser: NODE_UID,
    runAsGroup: NODE_UID,
    // The results volume is written by uid 1000; volume types that support ownership management get this group.
    fsGroup: NODE_UID,
    seccompProfile: { type: 'RuntimeDefault' },
    ...(sysctl === undefined ? {} : { sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: sysctl }] }),
  };
}

export const CONTAINER_SECURITY = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } as const;

export function scenarioVolume(configMap: string, files: readonly BundledFile[]): Record<string, unknown> {
  return { name: 'scenario', configMap: { name: configMap, items: files.map((f) => ({ key: f.key, path: f.path })) } };
}

export function resultsVolume(claim: string): Record<string, unknown> {
  return { name: 'results', persistentVolumeClaim: { claimName: claim } };
}

export const SCENARIO_VOLUME_MOUNT = { name: 'scenario', mountPath: SCENARIO_MOUNT, readOnly: true } as const;
export const RESULTS_VOLUME_MOUNT = { name: 'results', mountPath: RESULTS_MOUNT } as const;
