/**
 * `population:` — where clients come from: groups of clients, each a share of them, behind a set of source
 * addresses. This is what makes source hashing honest: 40% of clients behind one NAT address land on one
 * backend whatever the strategy's arithmetic, and addresses packed in one /24 look like one client to ip_hash.
 *
 *   population: {addresses: 16}                        # one group: every client from one of 16 addresses
 *   population:
 *     - {name: office, share: 0.4, addresses: 1}       # 40% behind one address (a NAT)
 *     - {share: 0.6, addresses: 500, distribution: zipf}
 *     - {share: 0.2, cidr: 127.30.0.0/24}              # every address of a block: one /24
 *
 * `addresses: N` without `cidr` puts each address in its own /24 (127.16.0.1, 127.16.1.1, …; groups follow each
 * other), as clients spread over the internet would be; `cidr` with `addresses: N` spreads N addresses evenly over
 * the block; `cidr` alone takes all of it. A lab run's addresses must be in 127.0.0.0/8 (every one of them works
 * as a source on Linux); against a target they must be local addresses (checked before the run).
 */
import { isMap, isScalar, isSeq } from 'yaml';
import { type Context, type Field, childPath, readChoice, readInteger, readNumber, readSection, readString } from './context.js';
import type { AddressSet, PopulationGroup, PopulationSpec } from './types.js';
import { addressCount, intToIpv4, ipv4ToInt } from '../load/population.js';

const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const GROUP_KEYS = ['name', 'share', 'addresses', 'cidr', 'distribution', 'zipf_s'] as const;
export const MAX_GROUPS = 64;
/** Addresses one group may name: the pickers hold a table per address, and a larger pool changes nothing measurable. */
export const MAX_GROUP_ADDRESSES = 65_536;
/** Automatic addresses start here, one per /24, and may use the rest of 127.0.0.0/8. */
const AUTO_BASE = ipv4ToInt('127.16.0.1');
const AUTO_END = ipv4ToInt('127.255.255.255');
const SHARE_TOLERANCE = 1e-6;
const HINT = 'e.g. population: [{share: 0.4, addresses: 1}, {share: 0.6, addresses: 500}]';
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

export function readPopulation(ctx: Context, field: Field, lab: boolean): PopulationSpec | undefined {
  const single = isMap(field.value);
  if (!single && (!isSeq(field.value) || field.value.items.length === 0 || field.value.items.length > MAX_GROUPS)) {
    ctx.report(field.at, field.path, `${field.path} must be a map (one group) or a list of 1 to ${MAX_GROUPS} groups`, HINT);
    return undefined;
  }
  const items: Field[] = single
    ? [field]
    : (field.value as { items: unknown[] }).items.map((item, i) => {
        const node = ctx.deref(item);
        return { path: childPath(field.path, i), value: node, at: node ?? field.at };
      });
  const groups: PopulationGroup[] = [];
  let ok = true;
  let autoNext = AUTO_BASE;
  items.forEach((item, i) => {
    const g = readGroup(ctx, item, i, single, lab, autoNext);
    if (g === undefined) {
      ok = false;
      return;
    }
    if ('first' in g.addresses && g.auto) autoNext = g.addresses.first + g.addresses.count * g.addresses.stride;
    groups.push(g.group);
  });
  if (!ok) return undefined;
  const names = new Set<string>();
  for (const [i, g] of groups.entries()) {
    if (names.has(g.name)) {
      const at = items[i] as Field;
      ctx.report(at.at, at.path, `two population groups are named "${g.name}"`, 'give each group its own name');
      return undefined;
    }
    names.add(g.name);
  }
  const total = groups.reduce((n, g) => n + g.share, 0);
  if (Math.abs(total - 1) > SHARE_TOLERANCE) {
    ctx.report(field.at, field.path, `the shares of ${field.path} add up to ${+total.toFixed(6)}, not 1`, `shares are fractions of the clients: ${groups.map((g) => g.share).join(' + ')} must make 1`);
    return undefined;
  }
  return { groups };
}

function readGroup(ctx: Context, field: Field, index: number, single: boolean, lab: boolean, autoNext: number): { group: PopulationGroup; addresses: AddressSet; auto: boolean } | undefined {
  const section = readSection(ctx, field, GROUP_KEYS);
  if (section === undefined) return undefined;
  const f = section.fields;
  let ok = section.node.items.length === f.size;
  const nameField = f.get('name');
  let name = nameField === undefined ? `g${index + 1}` : readString(ctx, nameField);
  // Group names go into result keys, charts, and ({{ group }}) into query strings and header values.
  if (name !== undefined && nameField !== undefined && !GROUP_NAME.test(name)) {
    ctx.report(nameField.at, childPath(field.path, 'name'), `${field.path}.name must be 1..64 letters, digits, ".", "_" or "-", got ${JSON.stringify(name)}`, 'e.g. name: office-nat');
    name = undefined;
  }
  const shareField = f.get('share');
  let share: number | undefined = 1;
  if (shareField !== undefined) share = readNumber(ctx, shareField, { min: 0, max: 1, hint: 'a fraction of the clients, e.g. share: 0.4' });
  else if (!single) ctx.report(field.at, childPath(field.path, 'share'), `"share" is required in ${field.path}`, 'the fraction of clients in this group, e.g. share: 0.4');
  if (share === 0) {
    ctx.report(shareField?.at, childPath(field.path, 'share'), `${field.path}.share must be more than 0`, 'leave the group out instead');
    share = undefined;
  }
  const distField = f.get('distribution');
  const distribution = distField === undefined ? 'uniform' : readChoice(ctx, distField, ['uniform', 'zipf'] as const);
  const sField = f.get('zipf_s');
  const zipfS = sField === undefined ? 1 : readNumber(ctx, sField, { min: 0.01, max: 10, hint: 'the Zipf exponent; 1 is the classic law, larger is more skewed' });
  if (sField !== undefined && distribution !== 'zipf') {
    ctx.report(sField.at, sField.path, `${sField.path} applies only with distribution: zipf`, 'add distribution: zipf, or remove zipf_s');
    ok = false;
  }
  const resolved = readAddresses(ctx, field, f.get('addresses'), f.get('cidr'), autoNext);
  if (resolved !== undefined && lab) ok = checkLoopback(ctx, field, resolved.set) && ok;
  if (!ok || name === undefined || share === undefined || distribution === undefined || zipfS === undefined || resolved === undefined) return undefined;
  return { group: { name, share, addresses: resolved.set, distribution, zipfS }, addresses: resolved.set, auto: resolved.auto };
}

function readAddresses(ctx: Context, group: Field, addrField: Field | undefined, cidrField: Field | undefined, autoNext: number): { set: AddressSet; auto: boolean } | undefined {
  if (addrField === undefined && cidrField === undefined) {
    ctx.report(group.at, childPath(group.path, 'addresses'), `${group.path} needs addresses or cidr`, 'e.g. addresses: 1 (a NAT), addresses: 500, addresses: [127.0.0.2, 127.0.0.3] or cidr: 127.30.0.0/24');
    return undefined;
  }
  const block = cidrField === undefined ? undefined : readCidr(ctx, cidrField);
  if (cidrField !== undefined && block === undefined) return undefined;
  if (addrField !== undefined && !(isScalar(addrField.value) && typeof addrField.value.value === 'number')) {
    if (block !== undefined) {
      ctx.report(addrField.at, addrField.path, `with cidr, ${addrField.path} must be a count`, 'e.g. cidr: 127.30.0.0/16 with addresses: 500 spreads 500 addresses over the block');
      return undefined;
    }
    const list = readAddressList(ctx, addrField);
    return list === undefined ? undefined : { set: { list }, auto: false };
  }
  const count = addrField === undefined ? undefined : readInteger(ctx, addrField, { min: 1, max: MAX_GROUP_ADDRESSES });
  if (addrField !== undefined && count === undefined) return undefined;
  if (block !== undefined) {
    const hosts = block.size <= 2 ? block.size : block.size - 2;
    const first = block.size <= 2 ? block.network : block.network + 1;
    if (count === undefined) {
      if (hosts > MAX_GROUP_ADDRESSES) {
        ctx.report(cidrField?.at, cidrField?.path ?? group.path, `${cidrField?.path} holds ${hosts.toLocaleString('en-US')} addresses, more than ${MAX_GROUP_ADDRESSES.toLocaleString('en-US')}`, 'add addresses: N to spread N addresses over the block');
        return undefined;
      }
      return { set: { first, count: hosts, stride: 1 }, auto: false };
    }
    if (count > hosts) {
      ctx.report(addrField?.at, addrField?.path ?? group.path, `${addrField?.path} is ${count}, but ${cidrField?.path} holds ${hosts}`, 'use a larger block or fewer addresses');
      return undefined;
    }
    // A stride over the whole block (not just its hosts) lands 256 addresses of a /16 on x.y.0.1, x.y.1.1, … — one
    // per /24; it falls back to consecutive hosts when the block is nearly full.
    const stride = Math.max(1, Math.floor(block.size / count));
    const fits = first + (count - 1) * stride <= first + hosts - 1;
    return { set: { first, count, stride: fits ? stride : 1 }, auto: false };
  }
  // One address per /24, so hashes that look at /24s (nginx ip_hash) see as many clients as there are addresses.
  const n = count as number;
  if (autoNext + (n - 1) * 256 > AUTO_END) {
    ctx.report(addrField?.at, addrField?.path ?? group.path, `the population's automatic addresses run past 127.255.255.255`, 'use fewer addresses, or give blocks with cidr');
    return undefined;
  }
  return { set: { first: autoNext, count: n, stride: 256 }, auto: true };
}

function readCidr(ctx: Context, field: Field): { network: number; size: number } | undefined {
  const text = readString(ctx, field);
  if (text === undefined) return undefined;
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  const prefix = m ? Number(m[2]) : NaN;
  if (!m || !IPV4.test(m[1] as string) || prefix > 32) {
    ctx.report(field.at, field.path, `${field.path} must be an IPv4 block like 127.30.0.0/24, got "${text}"`);
    return undefined;
  }
  const size = 2 ** (32 - prefix);
  const network = Math.floor(ipv4ToInt(m[1] as string) / size) * size;
  return { network, size };
}

/** One address, a range `a-b` (within one /24), or a list of either. */
function readAddressList(ctx: Context, field: Field): string[] | undefined {
  const nodes = isSeq(field.value) ? field.value.items.map((n, i) => ({ node: ctx.deref(n), path: childPath(field.path, i) })) : [{ node: field.value, path: field.path }];
  const out: string[] = [];
  for (const { node, path } of nodes) {
    const text = readString(ctx, { path, value: node, at: node ?? field.at });
    if (text === undefined) return undefined;
    const [a, b] = text.split('-').map((s) => s.trim());
    if (!IPV4.test(a ?? '') || (b !== undefined && !IPV4.test(b))) {
      ctx.report(node ?? field.at, path, `${path} must be an IPv4 address or a range like 127.0.0.2-127.0.0.9, got "${text}"`);
      return undefined;
    }
    const lo = ipv4ToInt(a as string);
    const hi = b === undefined ? lo : ipv4ToInt(b);
    if (hi < lo || hi - lo >= MAX_GROUP_ADDRESSES) {
      ctx.report(node ?? field.at, path, `${path} is not a range from low to high of at most ${MAX_GROUP_ADDRESSES} addresses`, 'e.g. 127.0.0.2-127.0.0.9');
      return undefined;
    }
    for (let x = lo; x <= hi; x++) out.push(intToIpv4(x));
  }
  if (new Set(out).size !== out.length) {
    ctx.report(field.at, field.path, `${field.path} lists an address twice`);
    return undefined;
  }
  return out;
}

function checkLoopback(ctx: Context, group: Field, set: AddressSet): boolean {
  const count = addressCount(set);
  const firstText = 'list' in set ? set.list.find((a) => !a.startsWith('127.')) : undefined;
  const outside = 'list' in set ? firstText : (Math.floor(set.first / 2 ** 24) !== 127 || Math.floor((set.first + (count - 1) * set.stride) / 2 ** 24) !== 127) ? intToIpv4(set.first) : undefined;
  if (outside === undefined) return true;
  ctx.report(group.at, group.path, `${group.path} uses ${outside}, outside 127.0.0.0/8: the lab runs on loopback`, 'lab clients come from 127.x.y.z; other addresses are for target: runs, from addresses this machine has');
  return false;
}
