/**
 * The resolved `population:` and `network:` sections: where clients come from (source addresses, groups, their
 * spread) and the run's private network namespace. Re-exported by types.ts with the rest of the resolved scenario.
 */

/** `network:` — a private network namespace for the whole run (src/run/netns.ts). */
export interface NetworkSpec {
  namespace: boolean;
  /** net.ipv4.ip_local_port_range inside the namespace, e.g. [40000, 40999]. Default: the kernel's. */
  portRange?: [number, number];
  /** net.ipv4.tcp_tw_reuse inside the namespace: 0 off, 1 on, 2 loopback only (the kernel default). */
  tcpTwReuse?: 0 | 1 | 2;
}

/**
 * A set of IPv4 source addresses, kept compact (a /10 would be millions of strings): `count` addresses starting at
 * `first` (a 32-bit address), `stride` apart; or an explicit list.
 */
export type AddressSet = { first: number; count: number; stride: number } | { list: string[] };

/** One group of a client population: a share of the clients and the addresses they come from. */
export interface PopulationGroup {
  /** Shown in reports; default `g1`, `g2`, … in file order. */
  name: string;
  /** Fraction of the clients, 0 < share ≤ 1; the shares of all groups add up to 1. */
  share: number;
  addresses: AddressSet;
  /** How the group's clients spread over its addresses: evenly (uniform) or by Zipf's law (a few addresses carry most). */
  distribution: 'uniform' | 'zipf';
  /** Zipf exponent s (P(rank r) ∝ 1/r^s). Default 1. */
  zipfS: number;
}

/** `population:` — where clients come from. Each client keeps its address across reconnects. */
export interface PopulationSpec {
  groups: PopulationGroup[];
}
