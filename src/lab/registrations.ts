/**
 * An orchestrator lab is ready when every backend has registered: before that, the first clients would be told
 * "no backend" by a registry that is only still filling, which is start-up noise, not the approach's behaviour.
 */
import { WsherdError } from '../errors.js';
import { getJsonWith } from './http-json.js';

export async function waitForRegistrations(orchestratorUrl: string, token: string, ids: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen: string[] = [];
  while (Date.now() < deadline) {
    const list = await getJsonWith<{ backends?: Array<{ id: string; state: string }> }>(`${orchestratorUrl}/v1/backends`, { authorization: `Bearer ${token}` }).catch(() => undefined);
    seen = (list?.backends ?? []).filter((b) => b.state === 'up').map((b) => b.id);
    if (ids.every((id) => seen.includes(id))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const missing = ids.filter((id) => !seen.includes(id));
  throw new WsherdError('WSH_ERR_LAB_START', `Backends ${missing.join(', ')} did not register with the orchestrator within ${timeoutMs} ms.`, {
    hint: 'Each backend registers itself at start; see the lab output for its error.',
  });
}
