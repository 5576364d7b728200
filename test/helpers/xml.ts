/**
 * Well-formedness check for XML the tests produce: xmllint when the machine has it, else a small checker
 * (balanced tags, quoted attributes, only the five entities and character references, no forbidden characters).
 */
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';

const hasXmllint = spawnSync('xmllint', ['--version'], { stdio: 'ignore' }).status === 0;

const NAME = '[A-Za-z_][\\w.:-]*';
const ATTR = `\\s+${NAME}="[^"<]*"`;
const TAG_RE = new RegExp(`<(/?)(${NAME})((?:${ATTR})*)\\s*(/?)>`, 'y');
const ENTITY_RE = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;
// eslint-disable-next-line no-control-regex -- looking for them is the point
const FORBIDDEN_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** Throws (an assertion) naming the first problem. */
export function assertWellFormedXml(xml: string): void {
  if (hasXmllint) {
    const r = spawnSync('xmllint', ['--noout', '-'], { input: xml, encoding: 'utf8' });
    assert.equal(r.status, 0, `xmllint: ${r.stderr}`);
    return;
  }
  assert.ok(!FORBIDDEN_RE.test(xml), 'a character XML 1.0 forbids');
  let i = xml.startsWith('<?xml') ? xml.indexOf('?>') + 2 : 0;
  const stack: string[] = [];
  let roots = 0;
  while (i < xml.length) {
    const ch = xml[i];
    if (ch === '<') {
      TAG_RE.lastIndex = i;
      const m = TAG_RE.exec(xml);
      assert.ok(m, `malformed tag at ${i}: ${xml.slice(i, i + 60)}`);
      const [whole, close, name, , selfClose] = m;
      if (close === '/') {
        assert.equal(stack.pop(), name, `</${name}> closes the wrong element at ${i}`);
      } else {
        if (stack.length === 0) roots++;
        if (selfClose !== '/') stack.push(name as string);
      }
      i += whole.length;
      continue;
    }
    if (ch === '&') {
      ENTITY_RE.lastIndex = i;
      const m = ENTITY_RE.exec(xml);
      assert.ok(m, `bare & at ${i}: ${xml.slice(i, i + 20)}`);
      i += m[0].length;
      continue;
    }
    if (stack.length === 0) assert.match(ch as string, /\s/, `text outside the root element at ${i}`);
    i++;
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  assert.equal(roots, 1, 'exactly one root element');
  // Inside attribute values, & must be an entity too (the tag regex only excluded < and ").
  for (const m of xml.matchAll(/="([^"]*)"/g)) {
    assert.ok(!/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(m[1] as string), `bare & in attribute ${m[0]}`);
  }
}
