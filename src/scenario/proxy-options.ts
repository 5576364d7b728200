/**
 * The `lab.proxy` keys beyond strategy/mode/host: strategy `options`, `tls`, `store`, `sources`, `maxconn` and
 * `workers`. Values are checked with the proxy's own validators (validateOptions, parseSourceArgs), so the file
 * and `wsherd proxy` accept exactly the same things; their messages are reworded to name the scenario path and
 * the snake_case keys. TLS files are not read here: the proxy reports a missing or bad file at start, by name.
 */
import path from 'node:path';
import { isScalar, isSeq } from 'yaml';
import { WsherdError } from '../errors.js';
import { STRATEGIES, strategyInfo, type StrategyOptionName } from '../proxy/strategies/metadata.js';
import { validateOptions } from '../proxy/strategies/options.js';
import { isRequestKey } from '../proxy/strategies/request-key.js';
import type { StrategyOptions } from '../proxy/strategies/types.js';
import type { TlsOptions } from '../proxy/tls.js';
import { parseSourceArgs } from '../proxy/upstream.js';
import { type Context, type Field, childPath, describe, readChoice, readInteger, readNumber, readSection, readString, reportMissing } from './context.js';
import { closest } from './suggest.js';
import { SOURCE_PORTS_MODES, type ProxySpec } from './types.js';

/** Snake_case spelling in the file → StrategyOptions key. */
export const STRATEGY_OPTION_KEYS: Readonly<Record<string, StrategyOptionName>> = {
  points_per_backend: 'pointsPerBackend',
  balance_factor: 'balanceFactor',
  table_size: 'tableSize',
  seed: 'seed',
  hash_key: 'hashKey',
  fallback: 'fallback',
  cookie_name: 'cookieName',
  cookie_secret: 'cookieSecret',
  expire_seconds: 'expireSeconds',
};
const OPTION_NAMES = Object.keys(STRATEGY_OPTION_KEYS);
const NUMERIC: ReadonlySet<StrategyOptionName> = new Set(['pointsPerBackend', 'balanceFactor', 'tableSize', 'seed', 'expireSeconds']);
/** What a sticky strategy may fall back to: the strategies that place a client by address alone. */
const FALLBACKS: readonly string[] = Object.values(STRATEGIES)
  .filter((s) => s.layers.includes('l4'))
  .map((s) => s.name);

export const MAX_PROXY_WORKERS = 64;
export const TLS_SELF_SIGNED = 'self-signed';
const TLS_HINT = `write tls: ${TLS_SELF_SIGNED}, or tls: {cert: lb.pem, key: lb-key.pem} (paths relative to the scenario file)`;
const SOURCES_HINT = 'an IPv4 address or a range within one /24, e.g. sources: 127.0.0.2-127.0.0.9, or a list of them';

export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Renames every StrategyOptions key in a proxy message to its file spelling. */
function snakeWords(text: string): string {
  return text.replace(/\b[a-z]+(?:[A-Z][a-z0-9]*)+\b/g, (w) => (OPTION_NAMES.includes(snakeCase(w)) ? snakeCase(w) : w));
}

/** A proxy WsherdError's message reworded for `field`: `<path> must …` rather than `Strategy "x": key must ….`. */
function reword(err: unknown, field: Field, key?: string): { message: string; hint: string | undefined } {
  if (!(err instanceof WsherdError)) throw err;
  let message = snakeWords(err.message.replace(/^Strategy "[^"]*": /, '')).replace(/\.$/, '');
  if (key !== undefined && message.startsWith(`${key} `)) message = `${field.path}${message.slice(key.length)}`;
  else if (message.startsWith('--source ')) message = `${field.path}${message.slice('--source'.length)}`;
  else message = `${field.path}: ${message.charAt(0).toLowerCase()}${message.slice(1)}`;
  const hint = err.hint === undefined ? undefined : snakeWords(err.hint.charAt(0).toLowerCase() + err.hint.slice(1)).replace(/\.$/, '');
  return { message, hint };
}

type Extras = Pick<ProxySpec, 'options' | 'tls' | 'store' | 'sourceAddresses' | 'sourcePorts' | 'maxconn' | 'workers'>;

/**
 * Reads the optional keys of a `lab.proxy` section. `strategy` is the resolved name (undefined when it was
 * invalid: option values are then type-checked only); `strategyGiven` words the "does not apply" message.
 * Returns undefined when any of these keys has a problem (already reported).
 */
export function readProxyExtras(ctx: Context, fields: ReadonlyMap<string, Field>, strategy: string | undefined, strategyGiven: boolean): Extras | undefined {
  const extras: Extras = {};
  let ok = true;
  const take = <K extends keyof Extras>(key: string, name: K, reader: (field: Field) => Extras[K] | undefined): void => {
    const field = fields.get(key);
    if (field === undefined) return;
    const value = reader(field);
    if (value === undefined) ok = false;
    else extras[name] = value;
  };
  take('options', 'options', (f) => readOptions(ctx, f, strategy, strategyGiven, fields.get('mode')));
  take('tls', 'tls', (f) => readTls(ctx, f));
  take('store', 'store', (f) => readStore(ctx, f));
  take('sources', 'sourceAddresses', (f) => readSources(ctx, f));
  take('source_ports', 'sourcePorts', (f) => readChoice(ctx, f, SOURCE_PORTS_MODES));
  take('maxconn', 'maxconn', (f) => readInteger(ctx, f, { min: 1, hint: 'open client connections; leave maxconn out for no limit' }));
  take('workers', 'workers', (f) =>
    readInteger(ctx, f, { min: 1, max: MAX_PROXY_WORKERS, hint: `proxy worker processes sharing the listen port, 1 to ${MAX_PROXY_WORKERS}; default 1` }),
  );
  return ok ? extras : undefined;
}

function isBlank(field: Field): boolean {
  return field.value === null || (isScalar(field.value) && field.value.value === null);
}

/**
 * `modeField`: the section's `mode`, read here only to refuse request hash keys at L4 (the section reader reports a
 * bad mode itself; an unreadable one is not judged here).
 */
function readOptions(ctx: Context, field: Field, strategy: string | undefined, strategyGiven: boolean, modeField: Field | undefined): StrategyOptions | undefined {
  if (isBlank(field)) return {};
  const section = readSection(ctx, field, OPTION_NAMES);
  if (section === undefined) return undefined;
  const info = strategy === undefined ? undefined : strategyInfo(strategy);
  const options: StrategyOptions = {};
  let ok = section.node.items.length === section.fields.size; // unknown keys were reported by readSection
  for (const [key, f] of section.fields) {
    const name = STRATEGY_OPTION_KEYS[key] as StrategyOptionName;
    if (info !== undefined && !info.options.includes(name)) {
      ctx.report(f.key ?? f.at, f.path, `${f.path} does not apply to strategy ${info.name}${strategyGiven ? '' : ' (the default)'}`, notTakenHint(info.name, name));
      ok = false;
      continue;
    }
    const value = readOptionValue(ctx, f, name);
    if (value === undefined) {
      ok = false;
      continue;
    }
    if (info !== undefined) {
      try {
        validateOptions(info, { [name]: value }, FALLBACKS);
      } catch (err) {
        const { message, hint } = reword(err, f, key);
        const match = name === 'fallback' ? closest(String(value), FALLBACKS) : undefined;
        ctx.report(f.at, f.path, message, match === undefined ? hint : `did you mean "${match}"?`);
        ok = false;
        continue;
      }
    }
    if (name === 'hashKey' && !checkHashKeyMode(ctx, f, String(value), modeField)) {
      ok = false;
      continue;
    }
    Object.assign(options, { [name]: value });
  }
  return ok ? options : undefined;
}

/** uri, path, query:NAME and header:NAME need the L7 proxy: at L4 it never reads the request. */
function checkHashKeyMode(ctx: Context, field: Field, hashKey: string, modeField: Field | undefined): boolean {
  if (!isRequestKey(hashKey)) return true;
  const mode = modeField === undefined ? 'l4' : isScalar(modeField.value) ? modeField.value.value : undefined;
  if (mode !== 'l4') return true;
  const modePath = field.path.replace(/options\.hash_key$/, 'mode');
  const why = modeField === undefined ? `${modePath} defaults to l4` : `${modePath} is l4`;
  ctx.report(field.at, field.path, `${field.path} ${hashKey} needs mode: l7, the proxy must read the HTTP request, but ${why}`, `set ${modePath}: l7, or use hash_key: source-ip or source-ip-port at L4`);
  return false;
}

function readOptionValue(ctx: Context, field: Field, name: StrategyOptionName): string | number | undefined {
  if (NUMERIC.has(name)) return readNumber(ctx, field, { min: -Infinity });
  return readString(ctx, field);
}

/** `cookie takes: fallback, cookie_name, cookie_secret; seed is for random, power-of-two-choices`. */
function notTakenHint(strategy: string, option: StrategyOptionName): string {
  const taken = strategyInfo(strategy)?.options ?? [];
  const takes = taken.length === 0 ? `${strategy} takes no options` : `${strategy} takes: ${taken.map(snakeCase).join(', ')}`;
  const users = Object.values(STRATEGIES)
    .filter((s) => s.options.includes(option))
    .map((s) => s.name);
  return `${takes}; ${snakeCase(option)} is for ${users.join(', ')}`;
}

function readTls(ctx: Context, field: Field): TlsOptions | undefined {
  const v = isScalar(field.value) ? field.value.value : undefined;
  if (v === TLS_SELF_SIGNED) return { selfSigned: true };
  if (typeof v === 'string' || typeof v === 'boolean' || isSeq(field.value) || isBlank(field)) {
    const hint = typeof v === 'string' && closest(v, [TLS_SELF_SIGNED]) !== undefined ? `did you mean "${TLS_SELF_SIGNED}"?` : TLS_HINT;
    ctx.report(field.at, field.path, `${field.path} must be "${TLS_SELF_SIGNED}" or a map {cert, key}, got ${describe(field.value)}`, hint);
    return undefined;
  }
  const section = readSection(ctx, field, ['cert', 'key']);
  if (section === undefined) return undefined;
  const certField = section.fields.get('cert');
  const keyField = section.fields.get('key');
  if (certField === undefined) reportMissing(ctx, section, 'cert', 'the PEM certificate file, e.g. cert: lb.pem');
  if (keyField === undefined) reportMissing(ctx, section, 'key', 'the PEM private key file, e.g. key: lb-key.pem');
  const cert = certField && readString(ctx, certField);
  const key = keyField && readString(ctx, keyField);
  if (cert === undefined || key === undefined) return undefined;
  // Relative to the scenario file, so a scenario and its certificates can move together.
  const dir = path.dirname(path.resolve(ctx.file));
  return { certFile: path.resolve(dir, cert), keyFile: path.resolve(dir, key) };
}

function readStore(ctx: Context, field: Field): string | undefined {
  const store = readString(ctx, field);
  if (store === undefined) return undefined;
  if (store === 'memory') return store;
  if (store.startsWith('redis://')) {
    try {
      if (new URL(store).hostname !== '') return store;
    } catch {
      // reported below
    }
    ctx.report(field.at, field.path, `${field.path} is not a valid Redis URL ("${store}")`, 'e.g. store: redis://127.0.0.1:6379/0');
    return undefined;
  }
  const hint = /^[\w.-]+:\d+(\/\d+)?$/.test(store)
    ? `write store: redis://${store}`
    : closest(store, ['memory']) === 'memory'
      ? 'did you mean "memory"?'
      : 'e.g. store: memory (one proxy), or store: redis://127.0.0.1:6379/0 (proxies and workers share tables)';
  ctx.report(field.at, field.path, `${field.path} must be memory or a redis:// URL, got "${store}"`, hint);
  return undefined;
}

function readSources(ctx: Context, field: Field): string[] | undefined {
  const items: Field[] = isSeq(field.value)
    ? field.value.items.map((item, i) => {
        const node = ctx.deref(item);
        return { path: childPath(field.path, i), value: node, at: node ?? field.at ?? undefined };
      })
    : [field];
  if (items.length === 0) {
    ctx.report(field.at, field.path, `${field.path} must not be empty`, SOURCES_HINT);
    return undefined;
  }
  const out: string[] = [];
  let ok = true;
  for (const item of items) {
    const text = readString(ctx, item);
    if (text === undefined) {
      ok = false;
      continue;
    }
    try {
      out.push(...parseSourceArgs([text]));
    } catch (err) {
      const { message, hint } = reword(err, item);
      ctx.report(item.at, item.path, message, hint?.includes('--source') ? SOURCES_HINT : hint);
      ok = false;
    }
  }
  return ok ? [...new Set(out)] : undefined;
}
