/**
 * nginx `ip_hash`, arithmetic for arithmetic (ngx_http_upstream_ip_hash_module.c), so the lab reproduces what an
 * nginx upstream does with the same backends in the same order:
 * - the key is the first three octets of an IPv4 address (a whole /24 lands on one backend: the NAT/office skew
 *   wsherd exists to show) or all 16 bytes of an IPv6 one; an unknown address uses nginx's pseudo address 0.0.0;
 * - hash = 89, then hash = (hash × 113 + byte) mod 6271 per byte; the backend is found by walking the weights
 *   with hash mod total_weight;
 * - when that backend is down or excluded, nginx keeps hashing the same bytes into the running hash and tries
 *   again, up to 20 times; then it falls back to round robin. Round robin would make the answer depend on each
 *   worker's history, so here the fallback is the first eligible backend after the last candidate, in id order.
 * Backends are taken in id order (b1, b2, …, b10: a scenario's order), weights rounded to whole numbers as nginx's
 * are. An unhealthy backend stays in the walk (nginx keeps `down` peers there too) and is skipped by the rehash;
 * weight 0 leaves it out of the walk, as deleting it from the upstream block would.
 */
import { eligible, sortById } from './common.js';
import { addressBytes, normalizeAddress } from './key.js';
import type { BackendRef, PickContext, Strategy } from './types.js';

const PSEUDO_ADDRESS = new Uint8Array([0, 0, 0]);
/** nginx gives up rehashing after this many extra candidates. */
const MAX_TRIES = 20;

export class IpHash implements Strategy {
  readonly name = 'ip-hash';
  readonly layers = ['l4', 'l7'] as const;
  private peers: BackendRef[] = [];
  private weights: number[] = [];
  private totalWeight = 0;

  setBackends(backends: readonly BackendRef[]): void {
    this.peers = sortById(backends).filter((b) => b.weight > 0);
    this.weights = this.peers.map((b) => Math.max(1, Math.round(b.weight)));
    this.totalWeight = this.weights.reduce((a, w) => a + w, 0);
  }

  pick(ctx: PickContext): BackendRef | undefined {
    const n = this.peers.length;
    if (n === 0) return undefined;
    const key = ipHashKey(ctx.remoteAddress);
    let hash = 89;
    let candidate = 0;
    for (let tries = 0; tries <= MAX_TRIES; tries++) {
      for (const byte of key) hash = (hash * 113 + byte) % 6271;
      candidate = this.peerAt(hash % this.totalWeight);
      const peer = this.peers[candidate];
      if (peer && eligible(peer, ctx.exclude)) return peer;
    }
    for (let i = 1; i <= n; i++) {
      const peer = this.peers[(candidate + i) % n];
      if (peer && eligible(peer, ctx.exclude)) return peer;
    }
    return undefined;
  }

  /** The index of the peer whose weight range holds `w` (nginx: `while (w >= peer->weight) w -= weight`). */
  private peerAt(w: number): number {
    let p = 0;
    let rest = w;
    while (p < this.weights.length - 1 && rest >= (this.weights[p] ?? 0)) {
      rest -= this.weights[p] ?? 0;
      p++;
    }
    return p;
  }
}

/** The bytes nginx hashes: three octets of IPv4, sixteen bytes of IPv6, else the pseudo address. */
export function ipHashKey(remoteAddress: string | undefined): Uint8Array {
  const bytes = addressBytes(normalizeAddress(remoteAddress));
  if (bytes === undefined) return PSEUDO_ADDRESS;
  return bytes.length === 4 ? bytes.subarray(0, 3) : bytes;
}
