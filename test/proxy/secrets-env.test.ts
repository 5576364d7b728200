/**
 * Issue 15: secrets of `wsherd proxy` can stay off its command line (readable by every user in /proc/PID/cmdline):
 * the cookie secret from WSHERD_COOKIE_SECRET, a Redis password from REDISCLI_AUTH.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proxyOptionsFromFlags, type ProxyFlags } from '../../src/proxy/cli-options.js';
import { parseRedisUrl } from '../../src/proxy/store/index.js';

const flags = (strategy: string, option: string[] = []): ProxyFlags => ({
  backend: ['ws://127.0.0.1:9001'], listen: '127.0.0.1:0', 'admin-port': 0, strategy, mode: 'l7', workers: 1, option,
  'health-check': 'none', 'health-interval': 1000, 'health-path': '/', rise: 2, fall: 3,
} as ProxyFlags);

test('the cookie secret from WSHERD_COOKIE_SECRET; -o cookie_secret wins; other strategies ignore it', () => {
  const secret = 'a-long-random-secret-from-the-env';
  assert.equal(proxyOptionsFromFlags(flags('cookie'), { WSHERD_COOKIE_SECRET: secret }).strategyOptions?.cookieSecret, secret);
  assert.equal(proxyOptionsFromFlags(flags('cookie', ['cookie_secret=given-on-the-command-line']), { WSHERD_COOKIE_SECRET: secret }).strategyOptions?.cookieSecret, 'given-on-the-command-line');
  assert.equal(proxyOptionsFromFlags(flags('round-robin'), { WSHERD_COOKIE_SECRET: secret }).strategyOptions?.cookieSecret, undefined);
});

test('a Redis password from REDISCLI_AUTH when the URL has none; never in the display form', () => {
  const t = parseRedisUrl('redis://127.0.0.1:6379/2', { REDISCLI_AUTH: 'hunter2' });
  assert.equal(t.password, 'hunter2');
  assert.equal(t.db, 2);
  assert.doesNotMatch(t.display, /hunter2/);
  assert.equal(parseRedisUrl('redis://:inurl@127.0.0.1:6379', { REDISCLI_AUTH: 'hunter2' }).password, 'inurl');
  assert.equal(parseRedisUrl('redis://127.0.0.1:6379', {}).password, undefined);
});
