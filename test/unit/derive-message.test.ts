// "Derive Backward" says what it did: how many gradients it derived and which differ from the
// user's (by the gate's gradient checks, else by text), and says so when there is nothing to change.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { deriveGateInText } from '../../src/core/checks/derive';
import { deriveMessage } from '../../src/shared/present/deriveText';

const example = (f: string) => readFileSync(join(__dirname, '..', '..', 'examples', f), 'utf8');

function messageFor(text: string, gate: string): string {
  const r = deriveGateInText(text, gate);
  assert.ok(r.ok, r.ok ? '' : r.message);
  const unchanged = text.slice(r.edit.span.start, r.edit.span.end) === r.edit.newText;
  return deriveMessage(gate, r.gradients, analyze(text).gradchecks, unchanged);
}

test('the user\'s lines beside the derived ones: printed the same way, null when missing', () => {
  const r = deriveGateInText(example('broken/missing-transpose.grad'), 'affine');
  assert.ok(r.ok);
  assert.deepEqual(
    r.gradients.map((g) => [g.name, g.yours]),
    [
      ['dX', 'dout @ W.T'],
      ['dW', 'dout @ X'],
      ['db', 'sum(dout, axis=0)'],
    ],
  );
  assert.ok(r.gradients.every((g) => g.derived.length > 0));
});

test('a wrong gradient is named; the right ones are not', () => {
  assert.equal(messageFor(example('broken/wrong-sign.grad'), 'difference'), 'derived 2 gradients of `difference`; db differs from yours');
  assert.equal(messageFor(example('broken/missing-transpose.grad'), 'affine'), 'derived 3 gradients of `affine`; dW differs from yours');
  const two = example('broken/missing-transpose.grad').replace('db = sum(dout, axis=0)', 'db = sum(dout, axis=1)');
  assert.match(messageFor(two, 'affine'), /; dW and db differ from yours$/);
});

test('missing lines are new; a gate without a backward block gets all of them', () => {
  const missing = example('broken/wrong-sign.grad').replace('    db = dout\n', '');
  assert.match(messageFor(missing, 'difference'), /; db is new$/);
  const none = example('broken/wrong-sign.grad').replace(/\n {2}backward \{[^}]*\}/, '');
  assert.equal(messageFor(none, 'difference'), 'derived 2 gradients of `difference`; da and db are new');
});

test('a correct gate: "nothing to change" when the block is the derived one, else "agrees"', () => {
  const broken = example('broken/wrong-sign.grad');
  const r = deriveGateInText(broken, 'difference');
  assert.ok(r.ok);
  const derivedText = broken.slice(0, r.edit.span.start) + r.edit.newText + broken.slice(r.edit.span.end);
  assert.match(messageFor(derivedText, 'difference'), /nothing to change$/);
  // The same gradient written another way passes its check: not reported as different.
  const other = derivedText.replace('db = -dout', 'db = 0 - dout');
  assert.notEqual(other, derivedText);
  assert.match(messageFor(other, 'difference'), /; db is written differently but agrees with yours \(gradient check passes\)$/);
});
