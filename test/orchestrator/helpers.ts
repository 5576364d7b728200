/** Test helpers for the orchestrator: one JSON request without keep-alive, and an in-memory orchestrator. */
import http from 'node:http';
import { MemoryRegistry } from '../../src/orchestrator/registry.js';
import { startOrchestrator, type OrchestratorOptions, type RunningOrchestrator } from '../../src/orchestrator/server.js';

export const TOKEN = 'test-token';

export interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- assertions read whatever shape came back
}

export function api(base: string, method: string, path: string, body?: unknown, token: string | null = TOKEN, raw?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const text = raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const headers: Record<string, string> = {};
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    if (text !== undefined) headers['content-type'] = 'application/json';
    const req = http.request(`${base}${path}`, { method, headers, agent: false }, (res) => {
      let s = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (s += c));
      res.on('end', () => {
        let parsed: unknown = s;
        try {
          parsed = JSON.parse(s);
        } catch {
          // leave as text
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}

export async function memoryOrchestrator(opts: Partial<OrchestratorOptions> = {}): Promise<RunningOrchestrator> {
  return startOrchestrator({ token: TOKEN, strategy: 'least-loaded', registry: new MemoryRegistry(), ...opts });
}


export { until } from '../helpers/until.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
