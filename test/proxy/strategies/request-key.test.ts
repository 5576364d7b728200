import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WsherdError } from '../../../src/errors.js';
import { createStrategy } from '../../../src/proxy/strategies/index.js';
import { assertHashKeyMode } from '../../../src/proxy/strategies/options.js';
import { isRequestKey, parseHashKey, requestKeyOf } from '../../../src/proxy/strategies/request-key.js';
import type { HashKey, PickContext, PickRequest } from '../../../src/proxy/strategies/types.js';
import { backends, ctx } from './helpers.js';

const req = (url: string, headers: PickRequest['headers'] = {}): PickRequest => ({ method: 'GET', url, headers });
const withRequest = (url: string, headers: PickRequest['headers'] = {}, exclude?: string[]): PickContext => ({
  ...ctx('10.0.0.1', exclude === undefined ? {} : { exclude }),
  request: req(url, headers),
});
const key = (k: string, r: PickRequest): string | undefined => {
  const parsed = parseHashKey(k);
  assert.ok('kind' in parsed, k);
  return requestKeyOf(r, parsed);
};

describe('request hash keys', () => {
  test('parse: the four request forms; header names lowercased, parameter names kept', () => {
    assert.deepEqual(parseHashKey('uri'), { kind: 'uri', name: '' });
    assert.deepEqual(parseHashKey('path'), { kind: 'path', name: '' });
    assert.deepEqual(parseHashKey('query:Room'), { kind: 'query', name: 'Room' });
    assert.deepEqual(parseHashKey('Header:X-User-Id'), { kind: 'header', name: 'x-user-id' });
    assert.deepEqual(parseHashKey('source-ip'), { kind: 'source-ip', name: '' });
    assert.equal(isRequestKey('query:room'), true);
    assert.equal(isRequestKey('source-ip-port'), false);
    assert.equal(isRequestKey('nonsense'), false);
  });

  test('parse: empty and malformed names are refused with the reason', () => {
    const error = (text: string): string => {
      const p = parseHashKey(text);
      assert.ok('error' in p, text);
      return p.error;
    };
    assert.match(error('query:'), /"query:" needs a parameter name, e.g. query:room/);
    assert.match(error('query:a=b'), /parameter name must be/);
    assert.match(error('query:a b'), /parameter name must be/);
    assert.match(error('header:'), /"header:" needs a header name/);
    assert.match(error('header:bad name'), /"header:bad name": the header name must be an HTTP token/);
    assert.match(error('cookie:x'), /must be source-ip, source-ip-port, uri, path, query:NAME or header:NAME, got "cookie:x"/);
    assert.match(error('URI'), /got "URI"/);
  });

  test('values: uri and path (absolute form as origin form), first query value decoded, header joined', () => {
    assert.equal(key('uri', req('/chat?room=a&x=1')), '/chat?room=a&x=1');
    assert.equal(key('uri', req('http://lb.example:8080/chat?room=a')), '/chat?room=a');
    assert.equal(key('path', req('/chat/a?room=a')), '/chat/a');
    assert.equal(key('path', req('http://lb.example')), '/');
    assert.equal(key('query:room', req('/socket.io/?EIO=4&room=a%20b&room=c')), 'a b');
    assert.equal(key('query:room', req('/?room=a+b')), 'a b');
    assert.equal(key('query:room', req('/?Room=a')), undefined, 'parameter names are case-sensitive');
    assert.equal(key('query:room', req('/?room=')), undefined, 'an empty value is no key (HAProxy url_param)');
    assert.equal(key('query:room', req('/?room')), undefined);
    assert.equal(key('query:room', req('/room=a')), undefined, 'no query string');
    assert.equal(key('header:x-user', req('/', { 'x-user': 'u1' })), 'u1');
    assert.equal(key('header:X-User', req('/', { 'x-user': 'u1' })), 'u1');
    assert.equal(key('header:x-user', req('/', { 'x-user': '' })), undefined);
    assert.equal(key('header:x-user', req('/', { 'x-user': ['a', 'b'] })), 'a, b');
    assert.equal(key('header:x-user', req('/', {})), undefined);
  });

  for (const name of ['consistent-hash', 'maglev', 'rendezvous']) {
    test(`${name}: equal keys pick alike whatever the address; a missing key goes round robin, counted`, () => {
      const s = createStrategy(name, { hashKey: 'query:room' });
      const bs = backends(3);
      s.setBackends(bs);
      assert.deepEqual(s.hashCounters?.(), { hashed: 0, fallbacks: 0 });
      const byRoom = new Map<string, string>();
      for (let i = 0; i < 60; i++) {
        const room = `r${i % 30}`;
        const c = { ...withRequest(`/?t=${i}&room=${room}`), remoteAddress: `10.0.0.${i}` };
        const id = s.pick(c)?.id;
        assert.ok(id !== undefined);
        assert.equal(byRoom.get(room) ?? id, id, `room ${room}`);
        byRoom.set(room, id);
      }
      assert.deepEqual(new Set(byRoom.values()), new Set(['b1', 'b2', 'b3']), '30 rooms reach every backend');
      const rr = [1, 2, 3, 4, 5, 6].map(() => s.pick(withRequest('/?other=1'))?.id);
      assert.deepEqual(rr, ['b1', 'b2', 'b3', 'b1', 'b2', 'b3']);
      assert.equal(s.pick(ctx('10.0.0.1'))?.id !== undefined, true, 'no request at all (L4) also falls back');
      assert.deepEqual(s.hashCounters?.(), { hashed: 60, fallbacks: 7 });
      // The fallback skips unhealthy and excluded backends like any pick.
      bs[0]!.healthy = false;
      const alive = [1, 2, 3, 4].map(() => s.pick(withRequest('/', {}, ['b2']))?.id);
      assert.deepEqual(alive, ['b3', 'b3', 'b3', 'b3']);
      // A room whose backend is down moves; the others stay.
      for (const [room, id] of byRoom) {
        const now = s.pick(withRequest(`/?room=${room}`))?.id;
        if (id === 'b1') assert.notEqual(now, 'b1');
        else assert.equal(now, id, `room ${room} stays on ${id}`);
      }
    });
  }

  test('source keys report no hash counters and hash as before', () => {
    for (const name of ['consistent-hash', 'maglev', 'rendezvous']) {
      const s = createStrategy(name, { hashKey: 'source-ip' });
      s.setBackends(backends(3));
      assert.equal(s.hashCounters?.(), undefined);
      const first = s.pick(withRequest('/?room=a'))?.id;
      assert.equal(s.pick(withRequest('/?room=b'))?.id, first, 'source-ip ignores the request');
    }
  });

  test('validation: every request form is accepted; bad forms and L4 are refused', () => {
    for (const k of ['uri', 'path', 'query:room', 'header:x-user-id'] as HashKey[]) {
      assert.equal(createStrategy('maglev', { hashKey: k }).name, 'maglev');
      assert.doesNotThrow(() => assertHashKeyMode('maglev', { hashKey: k }, 'l7'));
      assert.throws(
        () => assertHashKeyMode('maglev', { hashKey: k }, 'l4'),
        (err: unknown) => err instanceof WsherdError && err.code === 'WSH_ERR_INVALID_INPUT' && err.message.includes(`hashKey ${k} needs mode: l7, the proxy must read the HTTP request`) && /--mode l7/.test(err.hint ?? ''),
      );
    }
    assert.doesNotThrow(() => assertHashKeyMode('maglev', { hashKey: 'source-ip-port' }, 'l4'));
    for (const bad of ['query:', 'header:bad name', 'header:', 'query']) {
      assert.throws(() => createStrategy('consistent-hash', { hashKey: bad as HashKey }), /Strategy "consistent-hash": hashKey /, bad);
    }
  });
});
