/**
 * Environment variables in scenario values, so one file serves CI and laptops (`target: ${WSHERD_TARGET}`,
 * `clients: ${CLIENTS:-1000}`), in the syntax users know from docker compose and shells:
 *   ${NAME}            the variable; a problem when it is unset
 *   ${NAME:-default}   the default when it is unset or empty
 *   ${NAME:?message}   a problem saying `message` when it is unset or empty
 *   $${                a literal `${`
 * Only values are substituted, never keys, and it happens on the parsed document rather than on the text, so
 * every later problem still points at the line:col the user wrote. An unquoted value that becomes a number,
 * boolean or null is read as one, as YAML would have read it typed in (`clients: ${N}` with N=500 is 500).
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, visit, type Document, type Node, type Pair, type Scalar } from 'yaml';
import { childPath, type Context } from './context.js';

export type Env = Readonly<Record<string, string | undefined>>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SYNTAX_HINT = 'write ${NAME}, ${NAME:-default} or ${NAME:?message}; $${ is a literal ${';

type Piece = { ok: true; text: string } | { ok: false; message: string; hint: string };

/** Substitutes every string value of `doc` in place; each problem is reported at its value. */
export function interpolate(ctx: Context, doc: Document, env: Env): void {
  visit(doc, {
    Scalar(key, node, path) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const out = substitute(node.value, env);
      if (!out.ok) {
        ctx.report(node, pathOf(path, node), out.message, out.hint);
        return;
      }
      if (out.text === node.value) return;
      node.value = node.type === 'PLAIN' ? typed(out.text) : out.text;
    },
  });
}

/** The text with every reference replaced, or the first problem in it. Exported for tests. */
export function substitute(text: string, env: Env): Piece {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const at = text.indexOf('$', i);
    if (at < 0) break;
    out += text.slice(i, at);
    if (text.startsWith('$${', at)) {
      out += '${';
      i = at + 3;
      continue;
    }
    if (text[at + 1] !== '{') {
      out += '$'; // a lone $ (e.g. in a regex or a price) is text, as in compose
      i = at + 1;
      continue;
    }
    const end = text.indexOf('}', at + 2);
    if (end < 0) return { ok: false, message: `unterminated \${ in "${text}"`, hint: SYNTAX_HINT };
    const piece = resolve(text.slice(at + 2, end), env);
    if (!piece.ok) return piece;
    out += piece.text;
    i = end + 1;
  }
  return { ok: true, text: out + text.slice(i) };
}

function resolve(inner: string, env: Env): Piece {
  const op = /:[-?]/.exec(inner);
  const name = op === null ? inner : inner.slice(0, op.index);
  if (!NAME.test(name)) {
    return { ok: false, message: `"\${${inner}}" is not a variable reference`, hint: `variable names are letters, digits and _, not starting with a digit; ${SYNTAX_HINT}` };
  }
  const value = env[name];
  if (op === null) {
    if (value !== undefined) return { ok: true, text: value };
    return { ok: false, message: `environment variable ${name} is not set`, hint: `set it before the command or with -e ${name}=…, or give a default: \${${name}:-value}` };
  }
  const rest = inner.slice(op.index + 2);
  if (value !== undefined && value !== '') return { ok: true, text: value };
  if (op[0] === ':-') return { ok: true, text: rest };
  const said = rest === '' ? `environment variable ${name} is not set` : `${rest} (environment variable ${name} is not set)`;
  return { ok: false, message: said, hint: `set it before the command or with -e ${name}=…` };
}

/** What YAML would have made of the text typed unquoted: a number, boolean or null; otherwise the string. */
function typed(text: string): unknown {
  if (text === '') return null;
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isScalar(doc.contents)) return text;
  const value: unknown = doc.contents.value;
  return typeof value === 'number' || typeof value === 'boolean' || value === null ? value : text;
}

/** The dotted path of a value (`lab.proxy.strategy`, `phases[0].hold`) from the visitor's ancestors. */
function pathOf(ancestors: readonly (Document | Node | Pair)[], node: Scalar): string {
  let path = '';
  let child: unknown = node;
  const steps: (string | number)[] = [];
  for (let k = ancestors.length - 1; k >= 0; k--) {
    const parent = ancestors[k];
    if (isPair(parent)) {
      steps.push(isScalar(parent.key) ? String(parent.key.value) : '?');
    } else if (isSeq(parent)) {
      steps.push(parent.items.indexOf(child as never));
    } else if (!isMap(parent)) {
      break;
    }
    child = parent;
  }
  for (const step of steps.reverse()) path = childPath(path, step);
  return path;
}
