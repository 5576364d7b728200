/**
 * Where the orchestrator keeps its backends. The interface is the seam between one orchestrator instance (the
 * in-memory registry here) and several that must agree (registry-redis.ts): the HTTP server only ever talks to a
 * Registry, so both behave the same from a client's point of view.
 *
 * A backend's `state` is derived, never stored as 'down': a backend is down when its last heartbeat is older than
 * heartbeatTimeoutMs (the agent died or lost the network), so a crashed backend leaves the rotation without anyone
 * having to notice the crash. Only the drain flag is stored. Active health checks are each orchestrator
 * instance's own business (see health.ts) and are not part of the registry.
 */

export type BackendStatus = 'up' | 'down' | 'drain';

/** A backend as the registry reports it. */
export interface RegisteredBackend {
  id: string;
  /** ws:// or wss:// URL clients connect to. */
  url: string;
  /** Relative capacity, > 0. Default 1. */
  weight: number;
  /** Open connections the backend reported in its last heartbeat. */
  load: number;
  /** Epoch ms of the last heartbeat (registration counts as one). */
  lastHeartbeat: number;
  /**
   * Endpoints handed out for this backend since its last heartbeat: clients told to go there whose connections the
   * backend cannot have reported yet. Least-loaded adds it to `load` so a burst of requests between two heartbeats
   * does not all go to the one backend that looked idle.
   */
  handedOut: number;
  /** `drain` (admin said so) wins over `down` (heartbeat too old), which wins over `up`. */
  state: BackendStatus;
}

export interface RegisterRequest {
  id: string;
  url: string;
  weight?: number;
}

export interface Registry {
  readonly kind: 'memory' | 'redis';
  /** A heartbeat older than this many ms makes a backend `down`. The server sets it from its own option. */
  heartbeatTimeoutMs: number;
  /**
   * Adds or replaces a backend (an agent that restarts registers again). Counts as a heartbeat with load 0. A
   * drained backend stays drained across re-registration: the admin's decision outlives an agent restart.
   */
  register(req: RegisterRequest): Promise<RegisteredBackend>;
  /** Records the load and resets handedOut. False when the id is unknown. */
  heartbeat(id: string, load: number): Promise<boolean>;
  /** False when the id is unknown. */
  deregister(id: string): Promise<boolean>;
  /** Sets or clears the drain flag. False when the id is unknown. */
  setDrain(id: string, drain: boolean): Promise<boolean>;
  /** Counts one endpoint handed out for `id` (until its next heartbeat). */
  handOut(id: string): Promise<void>;
  /** Every registered backend with its derived state, sorted by id. */
  list(): Promise<RegisteredBackend[]>;
  close(): Promise<void>;
}

export interface RegistryOptions {
  /** Default 3000 ms. */
  heartbeatTimeoutMs?: number;
  /** Injected clock (epoch ms), for tests. Default Date.now. */
  now?: () => number;
}

export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 3000;

/** The stored part of a backend: what the registry reports, with the drain flag in place of the derived state. */
export interface StoredBackend extends Omit<RegisteredBackend, 'state'> {
  drained: boolean;
}

/** The derived view of a stored backend at time `now`. */
export function viewOf(b: StoredBackend, now: number, heartbeatTimeoutMs: number): RegisteredBackend {
  const state: BackendStatus = b.drained ? 'drain' : now - b.lastHeartbeat > heartbeatTimeoutMs ? 'down' : 'up';
  return { id: b.id, url: b.url, weight: b.weight, load: b.load, lastHeartbeat: b.lastHeartbeat, handedOut: b.handedOut, state };
}

export function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** One orchestrator instance's registry: a Map. Everything is lost when the process ends; agents re-register. */
export class MemoryRegistry implements Registry {
  readonly kind = 'memory' as const;
  heartbeatTimeoutMs: number;
  private readonly backends = new Map<string, StoredBackend>();
  private readonly now: () => number;

  constructor(opts: RegistryOptions = {}) {
    this.heartbeatTimeoutMs = opts.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
    this.now = opts.now ?? Date.now;
  }

  register(req: RegisterRequest): Promise<RegisteredBackend> {
    const old = this.backends.get(req.id);
    const b: StoredBackend = {
      id: req.id,
      url: req.url,
      weight: req.weight ?? 1,
      load: 0,
      lastHeartbeat: this.now(),
      handedOut: 0,
      drained: old?.drained ?? false,
    };
    this.backends.set(b.id, b);
    return Promise.resolve(viewOf(b, this.now(), this.heartbeatTimeoutMs));
  }

  heartbeat(id: string, load: number): Promise<boolean> {
    const b = this.backends.get(id);
    if (b === undefined) return Promise.resolve(false);
    b.load = load;
    b.lastHeartbeat = this.now();
    b.handedOut = 0;
    return Promise.resolve(true);
  }

  deregister(id: string): Promise<boolean> {
    return Promise.resolve(this.backends.delete(id));
  }

  setDrain(id: string, drain: boolean): Promise<boolean> {
    const b = this.backends.get(id);
    if (b === undefined) return Promise.resolve(false);
    b.drained = drain;
    return Promise.resolve(true);
  }

  handOut(id: string): Promise<void> {
    const b = this.backends.get(id);
    if (b !== undefined) b.handedOut++;
    return Promise.resolve();
  }

  list(): Promise<RegisteredBackend[]> {
    const now = this.now();
    return Promise.resolve([...this.backends.values()].map((b) => viewOf(b, now, this.heartbeatTimeoutMs)).sort(byId));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
