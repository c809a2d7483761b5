// The debug adapter's launch arguments, checked before anything runs: each mistake named in one
// sentence, defaults filled in, a relative program resolved against the working directory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLaunchArguments } from '../../src/debug/launch';

test('launch arguments: defaults, ranges and one sentence per mistake', () => {
  assert.deepEqual(parseLaunchArguments({ program: 'a.grad' }, '/w'), { program: '/w/a.grad', stopOnEntry: true, trace: false });
  assert.deepEqual(parseLaunchArguments({ program: '/x/a.grad', stopOnEntry: false, seed: 3, dims: { N: 8 }, trace: true }), { program: '/x/a.grad', stopOnEntry: false, seed: 3, dims: { N: 8 }, trace: true });
  assert.match(String(parseLaunchArguments(undefined)), /"program"/);
  assert.match(String(parseLaunchArguments({ program: '' })), /"program"/);
  assert.match(String(parseLaunchArguments({ program: 'a', stopOnEntry: 'yes' })), /"stopOnEntry"/);
  assert.match(String(parseLaunchArguments({ program: 'a', seed: -1 })), /"seed"/);
  assert.match(String(parseLaunchArguments({ program: 'a', seed: 1.5 })), /"seed"/);
  assert.match(String(parseLaunchArguments({ program: 'a', dims: { N: 0 } })), /"dims"/);
  assert.match(String(parseLaunchArguments({ program: 'a', dims: { '1N': 2 } })), /"dims"/);
  assert.match(String(parseLaunchArguments({ program: 'a', dims: [1] })), /"dims"/);
  assert.match(String(parseLaunchArguments({ program: 'a', trace: 1 })), /"trace"/);
});
