/**
 * The flow options that are not steps: `behavior.data` (a CSV or JSON file of per-client values), `script` (a
 * module running each session), `correlate` and `frames` (JSON paths). Files are resolved against the scenario
 * file's folder, as a user reading the scenario would expect.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { isScalar, isSeq } from 'yaml';
import type { CorrelateSpec, DataSpec, FramesSpec, ScriptSpec } from './flow-types.js';
import { type Context, type Field, describe, readChoice, readSection, readString, reportMissing } from './context.js';
import { dataFormat, loadDataFile } from './data-file.js';
import { readJsonPath } from './flow-values.js';
import { closest } from './suggest.js';

/** The folder relative paths in the scenario are resolved against. */
export function scenarioDir(ctx: Context): string {
  return path.dirname(path.resolve(ctx.file));
}

const DATA_ORDERS = ['sequential', 'random'] as const;
const DATA_HINT = 'e.g. data: {file: users.csv, order: sequential, secret: [token]}';

/** `behavior.data`: the file is read now to know its columns and rows (the values stay in the file). */
export function readData(ctx: Context, field: Field): DataSpec | undefined {
  const section = readSection(ctx, field, ['file', 'order', 'secret']);
  if (section === undefined) return undefined;
  const f = section.fields;
  const fileField = f.get('file');
  if (fileField === undefined) {
    reportMissing(ctx, section, 'file', DATA_HINT);
    return undefined;
  }
  const orderField = f.get('order');
  const order = orderField === undefined ? 'sequential' : readChoice(ctx, orderField, DATA_ORDERS);
  const written = readString(ctx, fileField);
  if (written === undefined || order === undefined) return undefined;
  const file = path.resolve(scenarioDir(ctx), written);
  const format = dataFormat(file);
  if (format === undefined) {
    ctx.report(fileField.at, fileField.path, `${fileField.path} must name a .csv or .json file, got ${JSON.stringify(written)}`, 'CSV: a header row, then one row per client; JSON: an array of objects');
    return undefined;
  }
  const table = loadDataFile(file);
  if ('error' in table) {
    ctx.report(fileField.at, fileField.path, `${fileField.path}: ${table.error}`, table.hint);
    return undefined;
  }
  const secretField = f.get('secret');
  const secret = secretField === undefined ? [] : readSecret(ctx, secretField, table.columns, written);
  if (secret === undefined) return undefined;
  return { file, format, order, secret, columns: table.columns, rows: table.rows.length, location: ctx.location(fileField.at) };
}

function readSecret(ctx: Context, field: Field, columns: readonly string[], file: string): string[] | undefined {
  if (!isSeq(field.value)) {
    ctx.report(field.at, field.path, `${field.path} must be a list of column names, got ${describe(field.value)}`, 'e.g. secret: [token, password]');
    return undefined;
  }
  const out: string[] = [];
  let ok = true;
  field.value.items.forEach((item, i) => {
    const node = ctx.deref(item);
    const v = isScalar(node) ? node.value : undefined;
    const at = node ?? field.at;
    const path = `${field.path}[${i}]`;
    if (typeof v !== 'string') {
      ctx.report(at, path, `${path} must be a column name, got ${describe(node)}`, `the columns of ${file}: ${columns.join(', ')}`);
      ok = false;
    } else if (!columns.includes(v)) {
      const match = closest(v, columns);
      ctx.report(at, path, `${path}: ${file} has no column ${v} (its columns: ${columns.join(', ')})`, match === undefined ? 'list columns the file has' : `did you mean "${match}"?`);
      ok = false;
    } else if (!out.includes(v)) out.push(v);
  });
  return ok ? out : undefined;
}

export const SCRIPT_EXTENSIONS: readonly string[] = ['.mjs', '.js', '.cjs'];

/** `script: ./flow.mjs`: a module that exists, resolved against the scenario's folder. */
export function readScript(ctx: Context, field: Field): ScriptSpec | undefined {
  const written = readString(ctx, field);
  if (written === undefined) return undefined;
  const module = path.resolve(scenarioDir(ctx), written);
  if (!SCRIPT_EXTENSIONS.includes(path.extname(module).toLowerCase())) {
    ctx.report(field.at, field.path, `${field.path} must be a JavaScript module (${SCRIPT_EXTENSIONS.join(', ')}), got ${JSON.stringify(written)}`, 'compile TypeScript first, and point at the .mjs or .js it produces');
    return undefined;
  }
  let isFile = false;
  try {
    isFile = statSync(module).isFile();
  } catch {
    ctx.report(field.at, field.path, `${field.path}: ${module} does not exist`, 'the path is resolved against the scenario file\'s folder');
    return undefined;
  }
  if (!isFile) {
    ctx.report(field.at, field.path, `${field.path}: ${module} is not a file`, 'name the module file itself');
    return undefined;
  }
  return { module, location: ctx.location(field.at) };
}

/** `correlate: {send: "$.id", receive: "$.re"}`. */
export function readCorrelate(ctx: Context, field: Field): CorrelateSpec | undefined {
  const section = readSection(ctx, field, ['send', 'receive']);
  if (section === undefined) return undefined;
  const hint = 'where the id goes in what clients send, and where the answer carries it: correlate: {send: "$.id", receive: "$.re"}';
  const sendField = section.fields.get('send');
  const receiveField = section.fields.get('receive');
  if (sendField === undefined) reportMissing(ctx, section, 'send', hint);
  if (receiveField === undefined) reportMissing(ctx, section, 'receive', hint);
  const send = sendField && readJsonPath(ctx, sendField);
  const receive = receiveField && readJsonPath(ctx, receiveField);
  if (send === undefined || receive === undefined) return undefined;
  if (send.segments.length === 0) {
    ctx.report(sendField?.at, sendField?.path ?? field.path, `${sendField?.path ?? field.path} must name a member ($.id), not the whole message ($)`, 'e.g. send: "$.id"');
    return undefined;
  }
  return { send, receive };
}

/** `frames: {type: "$.type"}`. */
export function readFrames(ctx: Context, field: Field): FramesSpec | undefined {
  const section = readSection(ctx, field, ['type']);
  if (section === undefined) return undefined;
  const typeField = section.fields.get('type');
  if (typeField === undefined) return {};
  const type = readJsonPath(ctx, typeField);
  return type === undefined ? undefined : { type };
}
