/**
 * Which role each client slot plays (behavior.roles): the counts are the shares of the run's clients by
 * largest-remainder apportionment (Hamilton's method: the counts add up to the clients exactly and each is its
 * share rounded down or up), and the slots of each role are spread evenly over the slot range by smooth weighted
 * round robin (nginx's upstream algorithm), so a 1% publisher role is every ~100th slot rather than the first 1%
 * (slots open in order during a ramp: publishers would all start first and reach the subscribers before they join).
 * Every worker computes the same assignment from the same inputs.
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
  return out;
}
