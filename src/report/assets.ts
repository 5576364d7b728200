/**
 * The files a self-contained HTML report inlines: wsherd's template, stylesheet and client script (top-level
 * `reports/`, shipped in the package) and the uPlot library (an npm dependency, so present at run time).
 * Everything is inlined because a report must open offline, attached to a ticket or a CI artifact.
 */
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WsherdError } from '../errors.js';

export interface ReportAssets {
  template: string;
  css: string;
  clientJs: string;
  uplotJs: string;
  uplotCss: string;
  uplotVersion: string;
}

let cached: ReportAssets | undefined;

/** Finds the package's `reports/` folder: compiled code runs from dist/src/report, sources from src/report. */
export function reportsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../../../reports'), path.resolve(here, '../../reports')];
  const found = candidates.find((d) => existsSync(path.join(d, 'run.html')));
  if (!found) {
    throw new WsherdError('WSH_ERR_INTERNAL', `Report templates not found (looked in ${candidates.join(', ')}).`, {
      hint: 'Reinstall wsherd: its reports/ folder is missing.',
    });
  }
  return found;
}

export function loadAssets(): ReportAssets {
  if (cached) return cached;
  const dir = reportsDir();
  const require = createRequire(import.meta.url);
  const uplotPkg = require.resolve('uplot/package.json');
  const uplotDist = path.join(path.dirname(uplotPkg), 'dist');
  const version = (JSON.parse(readFileSync(uplotPkg, 'utf8')) as { version: string }).version;
  const read = (file: string): string => readFileSync(file, 'utf8');
  const license = existsSync(path.join(path.dirname(uplotPkg), 'LICENSE')) ? read(path.join(path.dirname(uplotPkg), 'LICENSE')) : '';
  const copyright = /^Copyright.*$/m.exec(license)?.[0] ?? 'Leon Sorokin';
  cached = {
    template: read(path.join(dir, 'run.html')),
    css: read(path.join(dir, 'report.css')),
    clientJs: read(path.join(dir, 'report-client.js')),
    // The minified build's banner holds the project's web address; it is replaced by the MIT notice (name,
    // version, copyright) so the report holds no web address at all and still carries the licence notice.
    uplotJs: read(path.join(uplotDist, 'uPlot.iife.min.js'))
      .replace(/^\/\*![^*]*\*\/\s*/, `/*! uPlot v${version} | ${copyright} | MIT License */\n`),
    uplotCss: read(path.join(uplotDist, 'uPlot.min.css')),
    uplotVersion: version,
  };
  return cached;
}
