import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useColor } from '../../src/cli/color.js';

test('useColor: a TTY only, never with NO_COLOR set (non-empty), FORCE_COLOR respected (0 off, other values on)', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  assert.equal(useColor(tty, {}), true);
  assert.equal(useColor(pipe, {}), false);
  assert.equal(useColor({}, {}), false);
  assert.equal(useColor(tty, { NO_COLOR: '1' }), false);
  // https://no-color.org: an empty NO_COLOR does not count.
  assert.equal(useColor(tty, { NO_COLOR: '' }), true);
  assert.equal(useColor(tty, { NO_COLOR: '1', FORCE_COLOR: '1' }), false);
  assert.equal(useColor(tty, { FORCE_COLOR: '0' }), false);
  assert.equal(useColor(pipe, { FORCE_COLOR: '1' }), true);
  assert.equal(useColor(pipe, { FORCE_COLOR: '' }), false);
});
