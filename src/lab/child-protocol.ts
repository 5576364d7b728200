/**
 * What a lab child process (backend, proxy) tells its parent over the IPC channel. The parent passes the
 * component's config as one JSON argument (argv[2]); the child answers with exactly one of these.
 */
export type ChildMessage =
  | { type: 'ready'; port: number; adminPort: number }
  | { type: 'error'; message: string; code?: string };

export function isChildMessage(v: unknown): v is ChildMessage {
  if (typeof v !== 'object' || v === null) return false;
  const t = (v as { type?: unknown }).type;
  return t === 'ready' || t === 'error';
}
