// `npm start` keeps one VS Code profile per port (or per run with --fresh), so two runs never share
// theme or state.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { startProfileDir } from '../../scripts/startProfile';

test('two ports get two profiles; the same port finds its own again', () => {
  const tools = join('/tmp', 'tools');
  const a = startProfileDir(tools, 8357);
  const b = startProfileDir(tools, 8358);
  assert.notEqual(a, b);
  assert.equal(startProfileDir(tools, 8357), a);
  assert.ok(a.startsWith(join(tools, 'start')));
});

test('--fresh: a profile per run, never the port\'s own', () => {
  const tools = join('/tmp', 'tools');
  const one = startProfileDir(tools, 8357, { pid: 10, time: 1 });
  const two = startProfileDir(tools, 8357, { pid: 11, time: 1 });
  assert.notEqual(one, two);
  assert.notEqual(one, startProfileDir(tools, 8357));
});

test('a malformed port is refused', () => {
  assert.throws(() => startProfileDir('/tmp/tools', 0));
  assert.throws(() => startProfileDir('/tmp/tools', 1.5));
});
