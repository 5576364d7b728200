/**
 * What a lab child process (backend, proxy) tells its parent over the IPC channel. The parent sends the
 * component's config as the first IPC message (never on the command line: /proc/PID/cmdline is world-readable,
 * and configs carry bearer tokens, cookie secrets, Redis passwords); the child answers with exactly one of these.
 */
export type ChildMessage =
  // Asked once the child listens: IPC messages that arrive before a 'message' listener exists are dropped, and an
  // ES module's loading gives the channel time to deliver one.
  | { type: 'awaiting-config' }
  | { type: 'ready'; port: number; adminPort: number }
  | { type: 'error'; message: string; code?: string };

/** The parent's one message to a lab child: its config. */
export interface ConfigMessage<C = unknown> {
  type: 'config';
  config: C;
}

export function isConfigMessage(v: unknown): v is ConfigMessage {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'config' && 'config' in v;
}

export function isChildMessage(v: unknown): v is ChildMessage {
  if (typeof v !== 'object' || v === null) return false;
  const t = (v as { type?: unknown }).type;
  return t === 'ready' || t === 'error' || t === 'awaiting-config';
}
