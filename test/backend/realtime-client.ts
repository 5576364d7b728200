/** A plain `ws` client for the realtime app tests: it keeps every frame it got (the hello aside) and waits on them. */
import { once } from 'node:events';
import WebSocket from 'ws';
import { parseHello } from '../../src/backend/identity.js';
import { until } from '../helpers/until.js';

export type Json = Record<string, unknown>;

export class AppClient {
  readonly frames: Json[] = [];
  /** Frames that were not JSON objects (echoes of text). */
  readonly texts: string[] = [];
  backend = '';

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      const hello = parseHello(text);
      if (hello !== undefined) {
        this.backend = hello;
        return;
      }
      try {
        const v = JSON.parse(text) as unknown;
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) this.frames.push(v as Json);
        else this.texts.push(text);
      } catch {
        this.texts.push(text);
      }
    });
  }

  static async open(port: number): Promise<AppClient> {
    const c = new AppClient(new WebSocket(`ws://127.0.0.1:${port}/`));
    await until('the hello frame', () => c.backend !== '');
    return c;
  }

  send(frame: Json | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  of(type: string): Json[] {
    return this.frames.filter((f) => f.type === type);
  }

  /** Resolves with the first frame of `type` whose `re` is `re`. */
  async answer(type: string, re: unknown): Promise<Json> {
    let found: Json | undefined;
    await until(`a ${type} frame with re=${String(re)}`, () => (found = this.frames.find((f) => f.type === type && f.re === re)) !== undefined);
    return found as Json;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = once(this.ws, 'close');
    this.ws.close();
    await closed;
  }
}
