/**
 * The recorder seen by the inner WsClients of an engine that may try several URLs for one client (the dns engine's
 * failover to the answer's next address, the orchestrated engine's fallbacks): everything goes to the worker's
 * recorder, except that `attempted` passes once per client, and a failure the owner wants to hold back (because
 * another URL will be tried) is kept from the recorder — WsClient counts `failed` and then its error, so the error
 * right after a held `failed` goes to the owner instead. A class rather than closures: one small object per client.
 */
import type { Recorder } from '../metrics/recorder.js';

export interface AttemptOwner {
  /** An inner attempt failed before establishment: true to hold the failure back (another URL follows, or the owner decides later). */
  holdFailure(): boolean;
  /** The held failure's error. */
  heldError(code: string, sample?: string): void;
  /** The inner attempt's TCP connect completed (its first `connect` sample). */
  connected?(): void;
}

export class AttemptRecorder {
  private attemptCounted = false;
  private holding = false;

  constructor(
    private readonly real: Recorder,
    private readonly owner: AttemptOwner,
  ) {}

  /** As the Recorder WsClient expects (Recorder's private fields rule out a structural type, hence the cast). */
  asRecorder(): Recorder {
    return this as unknown as Recorder;
  }

  count(name: Parameters<Recorder['count']>[0], n?: number): void {
    if (name === 'attempted') {
      if (this.attemptCounted) return;
      this.attemptCounted = true;
    } else if (name === 'failed' && this.owner.holdFailure()) {
      this.holding = true;
      return;
    }
    this.real.count(name, n);
  }

  error(code: string, sample?: string): void {
    if (!this.holding) return this.real.error(code, sample);
    this.holding = false;
    this.owner.heldError(code, sample);
  }

  record(name: Parameters<Recorder['record']>[0], micros: number): void {
    if (name === 'connect') this.owner.connected?.();
    this.real.record(name, micros);
  }

  backendOpened(id: string): void {
    this.real.backendOpened(id);
  }

  session(event: Parameters<Recorder['session']>[0], n?: number): void {
    this.real.session(event, n);
  }
}
