// The extension passes on every diagnostics list but an empty one after an empty one (a keystroke
// in a clean file), which would change nothing on screen and cost the extension host's main thread.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DiagnosticsRepeats } from '../../src/extension/client/diagnosticsRepeats';

test('diagnostics: an empty list after an empty one is held back, every other list goes on', () => {
  const r = new DiagnosticsRepeats();
  const a = 'file:///a.grad';
  const b = 'file:///b.grad';
  assert.equal(r.unchanged(a, 0), false, 'the first list of a document');
  assert.equal(r.unchanged(a, 0), true, 'empty again');
  assert.equal(r.unchanged(a, 0), true, 'and again');
  assert.equal(r.unchanged(b, 0), false, 'another document has its own first list');
  assert.equal(r.unchanged(a, 2), false, 'problems appear');
  assert.equal(r.unchanged(a, 2), false, 'a non-empty list always goes on (its ranges are the new text\'s)');
  assert.equal(r.unchanged(a, 0), false, 'the problems go away: the empty list clears them');
  assert.equal(r.unchanged(a, 0), true);
  assert.equal(r.unchanged(b, 0), true);
});
