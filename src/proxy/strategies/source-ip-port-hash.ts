/**
 * Source address and port, modulo the eligible backends: every connection of a client hashes separately, so one
 * NAT address spreads over all backends, at the price of any stickiness across reconnects (a new connection has a
 * new port).
 */
import { SourceIpHash } from './source-ip-hash.js';

export class SourceIpPortHash extends SourceIpHash {
  override readonly name: string = 'source-ip-port-hash';

  constructor() {
    super('source-ip-port');
  }
}
