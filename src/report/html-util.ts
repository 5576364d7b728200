/**
 * Small HTML helpers for the report: escaping (every value from results.json is text, never markup), and a
 * YAML-like rendering of plain data for the "scenario as run" section.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

/**
 * JSON for a `<script type="application/json">` block: `</` becomes `<\/` (still valid JSON) so no value can
 * close the script element early; `<!--` and `<script` are escaped too, as together they would switch the HTML
 * parser into its "double escaped" script state.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/<\//g, '<\\/')
    .replace(/<!--/g, '\\u003c!--')
    .replace(/<script/gi, (m) => `\\u003c${m.slice(1)}`);
}

/** Makes text safe to inline inside a classic `<script>` element. */
export function scriptSafe(js: string): string {
  return js.replace(/<\/script/gi, '<\\/script');
}

/** Makes text safe to inline inside a `<style>` element. */
export function styleSafe(css: string): string {
  return css.replace(/<\/style/gi, '<\\/style');
}

const PLAIN_KEY = /^[A-Za-z_][\w.-]*$/;

/** Plain data as YAML-like text (for reading, not for parsing back). */
export function yamlish(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return value.map((v) => {
      const inner = yamlish(v, indent + '  ');
      return isBlock(v) ? `\n${indent}- ${inner.trimStart()}` : `\n${indent}- ${inner}`;
    }).join('');
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return entries.map(([k, v]) => {
      const key = PLAIN_KEY.test(k) ? k : JSON.stringify(k);
      return isBlock(v) ? `\n${indent}${key}:${yamlish(v, indent + '  ')}` : `\n${indent}${key}: ${yamlish(v, indent + '  ')}`;
    }).join('');
  }
  if (typeof value === 'string') return /^[\w./:@-][\w ./:@()<>=%-]*$/.test(value) && !/^(true|false|null|[\d.]+)$/.test(value) ? value : JSON.stringify(value);
  return String(value);
}

function isBlock(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== null && typeof v === 'object' && Object.keys(v).length > 0;
}
