/**
 * JUnit XML for CI (the Jenkins/GitLab dialect: testsuites › testsuite › testcase, with failure/error/skipped
 * children and properties). One testcase per threshold, named by its source text so a CI dashboard tracks the
 * same threshold across builds, plus one "run completed" testcase that is an <error> when the run was aborted or
 * failed (a <failure> when it completed but established nothing), and one "generator not saturated" testcase that
 * is a <failure type="inconclusive"> when the generator was (src/analysis/saturation.ts): a CI job then tells "the
 * target is too slow" (failures) from "the run broke" (errors), as the exit codes do.
 */
import type { CompareResults, ApproachRow } from '../compare/types.js';
import type { Results, ThresholdResult } from '../results/types.js';
import { fmtLimit, fmtMetric } from './format.js';
import { verdictOf } from './verdict.js';
import { saturationOf } from '../analysis/saturation.js';

export interface JunitOptions {
  /** `--accept-saturated`: a saturated generator is a skipped testcase (said why) instead of a failure. */
  acceptSaturated?: boolean;
}

// eslint-disable-next-line no-control-regex -- stripping them is the point
const ANSI_RE = /\u001b\[[0-9;]*[A-Za-z]/g;
/**
 * Characters XML 1.0 forbids (§2.2: controls other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF), and DEL,
 * which is allowed but breaks some CI parsers. A lone surrogate would make the whole report unreadable.
 */
// eslint-disable-next-line no-control-regex -- stripping them is the point
const XML_FORBIDDEN_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text safe inside an element: the five specials escaped, forbidden characters (and ANSI colour codes) stripped. */
export function xmlText(s: string): string {
  return s
    .replace(ANSI_RE, '')
    .replace(XML_FORBIDDEN_RE, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Text safe inside a double-quoted attribute; line breaks and tabs kept as references (a parser would fold them to spaces). */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

const seconds = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3);

/** ISO 8601 without a zone, as the JUnit XSD wants it (startedAt is UTC). */
const junitTimestamp = (iso: string): string => (Number.isNaN(new Date(iso).getTime()) ? iso : new Date(iso).toISOString().slice(0, 19));

interface Case {
  classname: string;
  name: string;
  time: string;
  /** The element inside <testcase>, already rendered, or '' for a pass. */
  body: string;
  outcome: 'pass' | 'failure' | 'error' | 'skipped';
}

interface Suite {
  name: string;
  time: string;
  timestamp?: string;
  properties: Array<[string, string]>;
  cases: Case[];
}

function thresholdCase(t: ThresholdResult, classname: string, partial: boolean): Case {
  const base = { classname: `${classname}.thresholds`, name: t.source, time: '0.000' };
  if (t.pass) return { ...base, body: '', outcome: 'pass' };
  const limit = `limit ${fmtLimit(t.metric, t.op, t.value)}`;
  const message = t.measured === null ? `${t.note ?? 'no data'} (${limit})` : `measured ${fmtMetric(t.metric, t.measured)} vs ${limit}`;
  const detail = [`${t.metric} ${t.op} ${t.value}: ${message}`];
  if (partial) detail.push('partial results: the run did not finish its plan');
  return { ...base, outcome: 'failure', body: `<failure message="${xmlAttr(message)}" type="threshold">${xmlText(detail.join('\n'))}</failure>` };
}

function completedCase(r: Results, classname: string): Case {
  const base = { classname, name: 'run completed', time: seconds(r.durationMs) };
  const v = verdictOf(r);
  if (v.kind === 'failed' && !v.partial) {
    // Completed, but established nothing: a failed run whatever its thresholds (exit code 8).
    const message = `failed: ${v.reason ?? 'no connection was established'}`;
    return { ...base, outcome: 'failure', body: `<failure message="${xmlAttr(message)}" type="nothing-established">${xmlText(message)}</failure>` };
  }
  if (!v.partial) return { ...base, body: '', outcome: 'pass' };
  const message = `${v.label.toLowerCase()}${r.statusReason === undefined ? '' : `: ${r.statusReason}`}`;
  const text = `The run was ${r.status}; partial results: the run did not finish its plan.`;
  return { ...base, outcome: 'error', body: `<error message="${xmlAttr(message)}" type="${r.status}">${xmlText(text)}</error>` };
}

/** The generator's own health, one testcase: a saturated generator makes the run inconclusive (exit code 7). */
function generatorCase(r: Results, classname: string, opts: JunitOptions): Case {
  const base = { classname: `${classname}.generator`, name: 'generator not saturated', time: '0.000' };
  const s = saturationOf(r);
  if (!s.saturated) return { ...base, body: '', outcome: 'pass' };
  const message = `inconclusive: generator saturated: ${s.reasons.join('; ')}`;
  if (opts.acceptSaturated === true) return { ...base, outcome: 'skipped', body: `<skipped message="${xmlAttr(`${message} (accepted with --accept-saturated)`)}"/>` };
  return { ...base, outcome: 'failure', body: `<failure message="${xmlAttr(message)}" type="inconclusive">${xmlText(message)}</failure>` };
}

function environmentProperties(r: Results): Array<[string, string]> {
  const e = r.environment;
  return [
    ['wsherd.version', e.wsherdVersion],
    ['node', e.node],
    ['kernel', `${e.platform} ${e.kernel} ${e.arch}`],
    ['workers', String(e.workers)],
    ['target.url', r.target.url],
    ['target.kind', r.target.kind],
    ['status', r.status],
  ];
}

function suiteOf(r: Results, name: string, classname: string, extra: Array<[string, string]> = [], opts: JunitOptions = {}): Suite {
  const partial = verdictOf(r).partial;
  return {
    name,
    time: seconds(r.durationMs),
    timestamp: junitTimestamp(r.startedAt),
    properties: [...environmentProperties(r), ...extra],
    cases: [completedCase(r, classname), generatorCase(r, classname, opts), ...r.thresholds.map((t) => thresholdCase(t, classname, partial))],
  };
}

const count = (cases: readonly Case[], o: Case['outcome']): number => cases.filter((c) => c.outcome === o).length;

function renderSuite(s: Suite): string[] {
  const attrs = [
    `name="${xmlAttr(s.name)}"`,
    `tests="${s.cases.length}"`,
    `failures="${count(s.cases, 'failure')}"`,
    `errors="${count(s.cases, 'error')}"`,
    `skipped="${count(s.cases, 'skipped')}"`,
    `time="${s.time}"`,
    ...(s.timestamp === undefined ? [] : [`timestamp="${xmlAttr(s.timestamp)}"`]),
  ];
  const lines = [`  <testsuite ${attrs.join(' ')}>`];
  if (s.properties.length > 0) {
    lines.push('    <properties>');
    for (const [k, v] of s.properties) lines.push(`      <property name="${xmlAttr(k)}" value="${xmlAttr(v)}"/>`);
    lines.push('    </properties>');
  }
  for (const c of s.cases) {
    const open = `    <testcase classname="${xmlAttr(c.classname)}" name="${xmlAttr(c.name)}" time="${c.time}"`;
    lines.push(c.body === '' ? `${open}/>` : `${open}>\n      ${c.body}\n    </testcase>`);
  }
  lines.push('  </testsuite>');
  return lines;
}

function renderDocument(name: string, suites: readonly Suite[]): string {
  const all = suites.flatMap((s) => s.cases);
  const time = suites.reduce((n, s) => n + Number(s.time), 0).toFixed(3);
  const head = `<testsuites name="${xmlAttr(name)}" tests="${all.length}" failures="${count(all, 'failure')}" ` +
    `errors="${count(all, 'error')}" skipped="${count(all, 'skipped')}" time="${time}">`;
  return ['<?xml version="1.0" encoding="UTF-8"?>', head, ...suites.flatMap(renderSuite), '</testsuites>'].join('\n') + '\n';
}

/** A run's thresholds as JUnit XML: one testsuite named after the scenario. */
export function renderJunit(results: Results, opts: JunitOptions = {}): string {
  const name = results.scenario.name;
  return renderDocument(`wsherd ${name}`, [suiteOf(results, name, `wsherd.${name}`, [], opts)]);
}

/** An approach whose run is not at hand (or was skipped): what compare.json says of it. */
function rowSuite(c: CompareResults, a: ApproachRow, classname: string): Suite {
  const props: Array<[string, string]> = [['approach', a.name], ['status', a.status]];
  const skipped = a.status === 'skipped';
  const cases: Case[] = [{
    classname,
    name: 'run completed',
    time: '0.000',
    outcome: skipped ? 'skipped' : a.status === 'complete' ? 'pass' : 'error',
    body: skipped
      ? `<skipped message="${xmlAttr(a.sentence)}"/>`
      : a.status === 'complete' ? '' : `<error message="${xmlAttr(`${a.status}${a.statusReason === undefined ? '' : `: ${a.statusReason}`}`)}" type="${a.status}"/>`,
  }];
  if (!skipped && a.thresholdsPassed + a.thresholdsFailed > 0) {
    const failed = a.thresholdsFailed > 0;
    const message = `${a.thresholdsFailed} of ${a.thresholdsPassed + a.thresholdsFailed} thresholds failed`;
    cases.push({ classname: `${classname}.thresholds`, name: 'thresholds', time: '0.000', outcome: failed ? 'failure' : 'pass', body: failed ? `<failure message="${xmlAttr(message)}" type="threshold"/>` : '' });
  }
  return { name: `${c.scenario}/${a.name}`, time: '0.000', properties: props, cases };
}

/**
 * A comparison as JUnit XML: one testsuite per approach. `runs` are the approaches' results in the order they
 * ran (skipped approaches have none); an approach without its run is reported from compare.json's counts.
 */
export function renderCompareJunit(c: CompareResults, runs: readonly Results[], opts: JunitOptions = {}): string {
  let next = 0;
  const suites = c.approaches.map((a) => {
    const classname = `wsherd.${c.scenario}.${a.name}`;
    const run = a.status === 'skipped' ? undefined : runs[next++];
    if (run === undefined) return rowSuite(c, a, classname);
    const extra: Array<[string, string]> = [['approach', a.name], ['strategy', a.proxy.strategy], ['mode', a.proxy.mode]];
    return suiteOf(run, `${c.scenario}/${a.name}`, classname, extra, opts);
  });
  return renderDocument(`wsherd compare ${c.scenario}`, suites);
}
