/**
 * Which role each client slot plays (behavior.roles): the counts are the shares of the run's clients by
 * largest-remainder apportionment (Hamilton's method: the counts add up to the clients exactly and each is its
 * share rounded down or up), and the slots of each role are spread evenly over the slot range by smooth weighted
 * round robin (nginx's upstream algorithm), so a 1% publisher role is every ~100th slot rather than the first 1%
 * (slots open in order during a ramp: publishers would all start first and reach the subscribers before they join).
 * Then the slots of each window of one period of the rarest role are shuffled (seeded, so every worker computes
 * the same assignment): a strictly periodic role would put every publisher in the same residue class, and a
 * topic written `room-{{ client % 50 }}` would give all 1% publishers one room out of 50.
 */

/** How many of `clients` slots each share gets (largest remainder; ties to the earlier role). */
export function roleCounts(clients: number, shares: readonly number[]): number[] {
  const total = shares.reduce((a, b) => a + b, 0);
  const exact = shares.map((s) => (total > 0 ? (clients * s) / total : 0));
  const counts = exact.map(Math.floor);
  let left = clients - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    counts[i] = (counts[i] as number) + 1;
    left--;
  }
  return counts;
}

/** The role index of every slot 0 … clients − 1. */
export function assignRoles(clients: number, shares: readonly number[]): Uint16Array {
  const counts = roleCounts(clients, shares);
  const out = new Uint16Array(clients);
  const current = new Array<number>(counts.length).fill(0);
  for (let s = 0; s < clients; s++) {
    let best = 0;
    for (let r = 0; r < counts.length; r++) {
      current[r] = (current[r] as number) + (counts[r] as number);
      if ((current[r] as number) > (current[best] as number)) best = r;
    }
    current[best] = (current[best] as number) - clients;
    out[s] = best;
  }
  const rarest = Math.min(...counts.filter((c) => c > 0));
  shuffleWindows(out, Math.ceil(clients / rarest));
  return out;
}

/** Fisher–Yates within each window of `size` slots, from a fixed seed (mulberry32): counts per window are kept. */
function shuffleWindows(a: Uint16Array, size: number): void {
  let seed = 0x5eed1e;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  if (size <= 1) return;
  for (let start = 0; start < a.length; start += size) {
    const end = Math.min(a.length, start + size);
    for (let i = end - 1; i > start; i--) {
      const j = start + Math.floor(random() * (i - start + 1));
      const t = a[i] as number;
      a[i] = a[j] as number;
      a[j] = t;
    }
  }
}
