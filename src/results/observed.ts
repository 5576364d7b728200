/**
 * What a run recorded besides the load's own metrics, as results.json keeps it: the probe sampler's series
 * (src/probes/sampler.ts fills it in) and the scenario's faults as applied (src/run/faults.ts). Here, in the results
 * layer, so the analysis reads them without importing the probes or the run (issue 18).
 */
import type { FaultSpec } from '../scenario/types.js';

export interface ProbeComponentPoint {
  /** Open fds; -1 when the process could not be read (it died, or no /proc). */
  fds: number;
  /** Soft RLIMIT_NOFILE; -1 when unknown. */
  fdLimit: number;
  /** Resident set size, bytes; -1 when unknown. */
  rssBytes: number;
  /** CPU time used so far (user + system) by the process and its worker processes, s; -1 when unknown. Absent in older files. */
  cpuSeconds?: number;
}

export interface ProbePair {
  /** See src/probes/sockets.ts: the ephemeral end has no port, the listening end has one. */
  local: string;
  remote: string;
  established: number;
  timeWait: number;
  /** Every other non-listening state (SYN_SENT, FIN_WAIT*, CLOSE_WAIT, …). */
  other: number;
}

export interface ProbePoint {
  /** Seconds since the sampler started (ms precision). */
  t: number;
  components: Record<string, ProbeComponentPoint>;
  /** The busiest pairs on the lab's ports, most sockets first, at most MAX_PAIRS_PER_POINT. */
  pairs: ProbePair[];
  /** How long reading the socket table took, ms (absent in older files). */
  socketReadMs?: number;
}

export interface ProbeSeries {
  intervalMs: number;
  /** net.ipv4.ip_local_port_range when sampling started. */
  portRange: [number, number];
  /** Where the socket table was read: over netlink (`ss`) or from /proc/net/tcp (absent in older files). */
  socketSource?: 'netlink' | 'proc';
  series: ProbePoint[];
}

export interface FaultRecord {
  /** The second of the run it was planned for, and when it was actually applied (s since second 0). */
  atSecond: number;
  appliedAt: number | null;
  action: FaultSpec['action'];
  backend: string | null;
  /** What happened, or why it failed. */
  detail: string;
  ok: boolean;
}
