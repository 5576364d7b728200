/**
 * The scenario file and every file it references (`behavior.data.file`, `behavior.script`, `behavior.roles[].script`),
 * as one ConfigMap mounted at /scenario. Paths in a scenario resolve against its own folder (src/scenario/flow-data.ts),
 * so a file inside that folder keeps its relative path under the mount and the scenario text stays byte for byte as
 * written; a file outside it (`../users.csv`, an absolute path, a `${VAR}`) is mounted under files/ and only that value
 * is rewritten in the text, in place, so every other line, comment and position is left as it was.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, isScalar, parseDocument, visit, type Scalar } from 'yaml';
import { WsherdError } from '../errors.js';
import type { Scenario, SourceLocation } from '../scenario/types.js';

/** Where the ConfigMap is mounted in every pod. */
export const SCENARIO_MOUNT = '/scenario';
/**
 * etcd refuses an object over 1.5 MiB and Kubernetes documents 1 MiB for a ConfigMap's data; keys, metadata and the
 * base64 of binary files come on top, so the files themselves may take a little less.
 */
export const MAX_CONFIGMAP_BYTES = 1_000_000;

export interface BundledFile {
  /** The ConfigMap key (letters, digits, '-', '_', '.'). */
  key: string;
  /** Path under the mount, POSIX separators. */
  path: string;
  /** UTF-8 text, or the bytes when the file is not valid UTF-8 (then it goes to binaryData). */
  text?: string;
  bytes?: Buffer;
  /** Absolute path of the file on this machine. */
  source: string;
  /** Scenario field that references it (`behavior.data.file`), absent for the scenario itself. */
  field?: string;
}

export interface Bundle {
  /** The scenario, first; then the files it references. */
  files: BundledFile[];
  /** Fields whose value was rewritten to its place under the mount: `behavior.data.file: ../users.csv → files/users.csv`. */
  rewritten: string[];
  /** Things the pods may not find (a script's own relative imports). */
  warnings: string[];
}

interface Reference {
  field: string;
  file: string;
  location: SourceLocation;
}

function references(scenario: Scenario): Reference[] {
  const b = scenario.behavior;
  const refs: Reference[] = [];
  if (b.data !== undefined) refs.push({ field: 'behavior.data.file', file: b.data.file, location: b.data.location });
  if (b.script !== undefined) refs.push({ field: 'behavior.script', file: b.script.module, location: b.script.location });
  for (const r of b.roles ?? []) if (r.script !== undefined) refs.push({ field: `behavior.roles.${r.name}.script`, file: r.script.module, location: r.script.location });
  return refs;
}

/** A ConfigMap key for a path under the mount: `data/users.csv` → `data__users.csv`. */
function keyOf(rel: string, taken: ReadonlySet<string>): string {
  const base = rel.replace(/\//g, '__').replace(/[^-._a-zA-Z0-9]/g, '_').slice(-200);
  let key = base;
  for (let n = 2; taken.has(key); n++) key = `${n}-${base}`;
  return key;
}

function contentOf(buf: Buffer): { text: string } | { bytes: Buffer } {
  const text = buf.toString('utf8');
  return Buffer.from(text, 'utf8').equals(buf) ? { text } : { bytes: buf };
}

/** `from './x.mjs'`, `import('../y.js')`, `require('./z')`: modules the script loads from beside itself. */
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]\.\.?\//;

export async function bundleScenario(file: string, scenario: Scenario): Promise<Bundle> {
  const source = path.resolve(file);
  const dir = path.dirname(source);
  const text = await readFile(source, 'utf8');
  const scenarioRel = path.basename(source);
  const taken = new Set<string>();
  const usedPaths = new Set<string>([scenarioRel]);
  const scenarioKey = keyOf(scenarioRel, taken);
  taken.add(scenarioKey);

  const out: BundledFile[] = [];
  const edits: Array<{ location: SourceLocation; value: string; field: string }> = [];
  const warnings: string[] = [];
  const byPath = new Map<string, string>();
  for (const ref of references(scenario)) {
    const inside = path.relative(dir, ref.file);
    const within = inside !== '' && !inside.startsWith('..') && !path.isAbsolute(inside);
    let rel = byPath.get(ref.file);
    if (rel === undefined) {
      rel = within ? inside.split(path.sep).join('/') : freePath(`files/${path.basename(ref.file)}`, usedPaths);
      usedPaths.add(rel);
      byPath.set(ref.file, rel);
      const buf = await readFile(ref.file);
      const key = keyOf(rel, taken);
      taken.add(key);
      out.push({ key, path: rel, source: ref.file, field: ref.field, ...contentOf(buf) });
      if (ref.field.endsWith('script') && RELATIVE_IMPORT.test(buf.toString('utf8'))) {
        warnings.push(`${ref.field}: ${path.relative(process.cwd(), ref.file) || ref.file} imports modules from beside itself; only the script is put in the ConfigMap, so those imports fail in the pods. Bundle the script into one file (e.g. esbuild --bundle), or build an image with them.`);
      }
    }
    edits.push({ location: ref.location, value: rel, field: ref.field });
  }
  const { text: scenarioText, rewritten } = rewrite(text, edits);
  out.unshift({ key: scenarioKey, path: scenarioRel, source, text: scenarioText });
  const size = out.reduce((n, f) => n + (f.text !== undefined ? Buffer.byteLength(f.text) : Math.ceil((f.bytes?.length ?? 0) / 3) * 4), 0);
  if (size > MAX_CONFIGMAP_BYTES) {
    const biggest = [...out].sort((a, b) => (b.text?.length ?? b.bytes?.length ?? 0) - (a.text?.length ?? a.bytes?.length ?? 0))[0];
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `The scenario and its files take ${size.toLocaleString('en-US')} bytes, more than the ${MAX_CONFIGMAP_BYTES.toLocaleString('en-US')} a ConfigMap holds (Kubernetes' 1 MiB limit); the largest is ${biggest?.path ?? '?'}.`, {
      hint: 'use a smaller data file (order: random reuses rows), or build an image FROM the wsherd image with the files COPY-ed in and mount nothing',
    });
  }
  return { files: out, rewritten, warnings };
}

function freePath(want: string, used: ReadonlySet<string>): string {
  if (!used.has(want)) return want;
  const ext = path.posix.extname(want);
  for (let n = 2; ; n++) {
    const p = `${want.slice(0, want.length - ext.length)}-${n}${ext}`;
    if (!used.has(p)) return p;
  }
}

/**
 * Replaces, at each location, the scalar written there by the path under the mount when what is written is not
 * already that path. Positions come from the loader (the value's line:col), so the same node is found here.
 */
function rewrite(text: string, edits: ReadonlyArray<{ location: SourceLocation; value: string; field: string }>): { text: string; rewritten: string[] } {
  if (edits.length === 0) return { text, rewritten: [] };
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  const at = new Map<string, Scalar>();
  visit(doc, {
    Scalar(_key, node) {
      if (node.range === undefined || node.range === null) return;
      const { line, col } = lines.linePos(node.range[0]);
      at.set(`${line}:${col}`, node);
    },
  });
  const splices: Array<{ start: number; end: number; value: string }> = [];
  const rewritten: string[] = [];
  for (const e of edits) {
    const node = at.get(`${e.location.line}:${e.location.col}`);
    if (node === undefined || !isScalar(node) || node.range === undefined || node.range === null) {
      throw new WsherdError('WSH_ERR_INTERNAL', `${e.field}: no value found at ${e.location.line}:${e.location.col} of the scenario to point at ${e.value} (a wsherd bug).`);
    }
    const written = String(node.value);
    if (!written.includes('${') && !path.posix.isAbsolute(written) && path.posix.normalize(written) === e.value) continue;
    splices.push({ start: node.range[0], end: node.range[1], value: JSON.stringify(e.value) });
    rewritten.push(`${e.field}: ${written} → ${e.value}`);
  }
  let out = text;
  for (const s of splices.sort((a, b) => b.start - a.start)) out = out.slice(0, s.start) + s.value + out.slice(s.end);
  return { text: out, rewritten };
}
