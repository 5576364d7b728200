/** The running reference lab, as the rest of wsherd sees it. */
import type { LabComponent, LabStats } from '../results/lab-types.js';

/** What a fault did to the lab (src/lab/faults.ts). */
export interface FaultOutcome {
  action: 'kill' | 'stop' | 'drain' | 'add';
  backend: string;
  detail: string;
}

export interface Lab {
  components: LabComponent[];
  /** Where clients connect: the proxy's URL (wss:// when the proxy terminates TLS), the DNS name's ws:// URL, or the orchestrator's http:// URL. */
  entryUrl: string;
  /** Every entry point; client slot s uses entryUrls[s % length] (several orchestrator instances). */
  entryUrls: string[];
  /** approach dns / dns-proxies: where the dns engine sends its queries. */
  dnsServer?: { host: string; port: number };
  /** Kill, stop, drain or add a backend through whatever the approach routes with. */
  fault(action: FaultOutcome['action'], backend?: string): Promise<FaultOutcome>;
  /** With TLS: the proxy's certificate (PEM), for clients to trust. */
  ca?: string;
  stats(): Promise<LabStats>;
  /** Stops every component (SIGTERM, then SIGKILL after a grace period); idempotent. */
  stop(): Promise<void>;
  /** Resolves with a reason when a component dies before stop() was called. */
  readonly died: Promise<string>;
}
