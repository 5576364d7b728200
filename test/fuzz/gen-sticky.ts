/**
 * Forged sticky-routing keys: proxy cookies (`WSHERDID=<backend>.<signature>`) and Engine.IO sids, wrong in every
 * way a client can make them (unknown, truncated, re-signed for another backend, huge, repeated, badly encoded).
 * `SID_SLOT` in a path is replaced at send time by a sid the backend really issued (sendWithSid), so inputs aimed
 * at a live session stay reproducible from the seed.
 */
import type { Rng } from './prng.js';

/** Placeholder for a genuine sid, filled in by the sender. */
export const SID_SLOT = '@SID@';

export function forgedSid(rng: Rng): string {
  return rng.pick([
    SID_SLOT,
    SID_SLOT,
    `${SID_SLOT}x`,
    'AAAAAAAAAAAAAAAAAAAA',
    '',
    'x'.repeat(rng.pick([129, 5000])),
    '%00',
    '%zz',
    '../../etc',
    `${SID_SLOT}&sid=other`,
    encodeURIComponent(rng.text(20)),
  ]);
}

/** An engine.io request target with a random transport, version and sid. */
export function engineTarget(rng: Rng, path = '/socket.io/'): string {
  const eio = rng.pick(['4', '4', '3', '5', '', 'x']);
  const transport = rng.pick(['polling', 'polling', 'websocket', 'flashsocket', '']);
  const params = [`EIO=${eio}`, `transport=${transport}`];
  if (rng.chance(0.7)) params.push(`sid=${forgedSid(rng)}`);
  if (rng.chance(0.1)) params.push(`t=${rng.text(8)}`);
  if (rng.chance(0.05)) params.reverse();
  return `${rng.chance(0.9) ? path : rng.pick(['/', '/socket.io', '/socket.io/x', '/other/'])}?${params.join('&')}`;
}

export function forgedCookie(rng: Rng, ids: readonly string[], name = 'WSHERDID'): string {
  const id = rng.pick([...ids, 'nope', '', 'b1'.repeat(100)]);
  const sig = rng.pick(['', 'AAAAAAAAAAAAAAAAAAAAAA', rng.text(22), 'x'.repeat(500), '%%%']);
  const value = rng.pick([`${id}.${sig}`, id, `.${sig}`, `${id}..${sig}`, `"${id}.${sig}"`, rng.text(40)]);
  return rng.pick([`${name}=${value}`, `${name}=${value}; ${name}=${value}x`, `a=1; ${name}=${value}`, `${name}`, `${name}=`, `${name.toLowerCase()}=${value}`]);
}
