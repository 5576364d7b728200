/**
 * JSON paths in flows (`$.type`, `$.data.id`, `$.items[0]`, `$['odd key']`): member names and array indices, the
 * subset JSONPath, jq and k6's gjson agree on. Anything else (filters, wildcards, recursive descent) is refused
 * with the offset of what does not parse, so the scenario loader can point at the character.
 */
import type { JsonPath } from './flow-types.js';

export type ParsedJsonPath = JsonPath | { error: string; index: number };

export const JSON_PATH_HINT = 'a JSON path starts with $ and names members and indices: $.type, $.data.id, $.items[0], $[\'a key\']';

const IDENT = /^[A-Za-z_$][\w$-]*/;

export function parseJsonPath(source: string): ParsedJsonPath {
  const text = source.trim();
  const lead = source.indexOf(text);
  if (!text.startsWith('$')) return { error: 'must start with $', index: lead };
  const segments: Array<string | number> = [];
  let i = 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '.') {
      const m = IDENT.exec(text.slice(i + 1));
      if (m === null) return { error: `expects a member name after "." at character ${lead + i + 2}`, index: lead + i + 1 };
      segments.push(m[0]);
      i += 1 + m[0].length;
    } else if (c === '[') {
      const close = text.indexOf(']', i);
      if (close < 0) return { error: `has "[" without a closing "]"`, index: lead + i };
      const inner = text.slice(i + 1, close).trim();
      if (/^\d+$/.test(inner)) segments.push(Number(inner));
      else if (/^'[^']*'$/.test(inner) || /^"[^"]*"$/.test(inner)) segments.push(inner.slice(1, -1));
      else return { error: `has [${inner}]: only an index ([0]) or a quoted name (['a key']) goes in brackets`, index: lead + i };
      i = close + 1;
    } else {
      return { error: `has "${c}" where "." or "[" was expected`, index: lead + i };
    }
  }
  return { source: text, segments };
}

/** The value at `path` in `value`, or undefined where the path leads nowhere. */
export function getPath(value: unknown, path: JsonPath): unknown {
  let v = value;
  for (const s of path.segments) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[s];
  }
  return v;
}

/** `value` with `leaf` set at `path` (objects created on the way; an existing non-object in the way is replaced). */
export function setPath(value: unknown, path: JsonPath, leaf: unknown): unknown {
  if (path.segments.length === 0) return leaf;
  const root: Record<string | number, unknown> = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  let o = root;
  path.segments.forEach((s, i) => {
    if (i === path.segments.length - 1) {
      o[s] = leaf;
      return;
    }
    const next = o[s];
    o = (o[s] = next !== null && typeof next === 'object' ? next : typeof path.segments[i + 1] === 'number' ? [] : {}) as Record<string | number, unknown>;
  });
  return root;
}
