/**
 * Validates rendered manifests against the Kubernetes OpenAPI schema with kubernetes-models (its classes carry the
 * upstream JSON schema; `validate()` throws on a wrong type, a missing required field or a bad enum value).
 */
import { parseAllDocuments } from 'yaml';
import { ConfigMap, PersistentVolumeClaim, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';

type Validatable = { validate(): void };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const MODELS: Record<string, new (data: any) => Validatable> = {
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'batch/v1/Job': Job,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};

export interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [k: string]: any;
}

/** Throws, naming the object, when it does not pass its kind's schema (or its kind is not one wsherd renders). */
export function validateObject(obj: Obj): void {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (Model === undefined) throw new Error(`no model for ${obj.apiVersion} ${obj.kind}`);
  try {
    new Model(obj).validate();
  } catch (err) {
    throw new Error(`${obj.kind} ${obj.metadata.name}: ${(err as Error).message}`);
  }
}

/** Parses a multi-document YAML as kubectl would, each document to plain data. */
export function parseManifests(text: string): Obj[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new Error('not a YAML stream');
  return docs.map((d) => {
    if (d.errors.length > 0) throw new Error(`YAML error: ${d.errors[0]?.message ?? ''}`);
    return d.toJS() as Obj;
  }).filter((o) => o !== null);
}

export function byKind(objs: readonly Obj[], kind: string, nameEnd?: string): Obj {
  const o = objs.find((x) => x.kind === kind && (nameEnd === undefined || x.metadata.name.endsWith(nameEnd)));
  if (o === undefined) throw new Error(`no ${kind}${nameEnd === undefined ? '' : ` named *${nameEnd}`} among ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
}
