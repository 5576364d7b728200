/**
 * Manifests as YAML text, with their comments: one multi-document stream for stdout, or one file per object
 * (numbered in apply order, so `kubectl apply -f DIR` creates them in that order).
 */
import { Document, isNode, type Node } from 'yaml';
import type { Manifest } from './manifests.js';

const OPTIONS = { lineWidth: 0 } as const;

export function manifestDocument(m: Manifest): Document {
  const doc = new Document(m.object, { aliasDuplicateObjects: false });
  for (const c of m.comments) {
    if (c.path.length === 0) {
      doc.commentBefore = doc.commentBefore === undefined || doc.commentBefore === null ? c.text : `${doc.commentBefore}\n${c.text}`;
      continue;
    }
    // The comment goes on the map pair's key, so it is printed on the lines above `key:`.
    const parent = doc.getIn(c.path.slice(0, -1), true) as unknown;
    const last = c.path[c.path.length - 1];
    const pair = parentPair(parent, last);
    if (pair !== undefined) pair.commentBefore = c.text;
  }
  return doc;
}

function parentPair(parent: unknown, key: string | number | undefined): Node | undefined {
  if (!isNode(parent) || key === undefined || !('items' in parent)) return undefined;
  const items = (parent as { items: unknown[] }).items;
  for (const item of items) {
    const k = (item as { key?: unknown }).key;
    if (isNode(k) && (k as { value?: unknown }).value === key) return k;
  }
  return undefined;
}

export function toYaml(manifests: readonly Manifest[], header?: string): string {
  const docs = manifests.map((m) => manifestDocument(m).toString(OPTIONS));
  const head = header === undefined ? '' : `${header.split('\n').map((l) => `# ${l}`.trimEnd()).join('\n')}\n`;
  return head + docs.map((d) => `---\n${d}`).join('');
}

/** `03-service-wsherd-barrier.yaml`: apply order first, then kind and name. */
export function fileNameOf(m: Manifest, i: number): string {
  return `${String(i).padStart(2, '0')}-${m.object.kind.toLowerCase()}-${m.object.metadata.name}.yaml`;
}
