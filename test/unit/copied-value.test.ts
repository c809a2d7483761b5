// The "copied value adds its gradients" lint (checks/copiedValue.ts): a d<input> line that reads
// the gradient of some uses of the input but not of the others is warned about statically, naming
// the uses it leaves out; the right sum, an inlined derivation, a comparison mask and a dead
// statement are not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';

const gate = (forward: string, backward: string) => `input x: [3]\ninput w: [3]\ngate g(x: [N], w: [N]) -> out: [N] {\n${forward}\n  backward {\n${backward}\n  }\n}\nloss = sum(g(x, w) ** 2)\n`;
const warnings = (text: string) => analyze(text, { gradcheck: false }).diagnostics.filter((d) => d.code === 'copied-value');

test('a residual whose backward drops the skip path is warned about on the dx line, with the use it misses', () => {
  const text = gate('  h = tanh(x * w)\n  out = x + h', '    dh = dout\n    dz = dh * (1 - h * h)\n    dx = dz * w\n    dw = dz * x');
  const found = warnings(text);
  assert.equal(found.length, 1);
  assert.equal(found[0].severity, 'warning');
  assert.equal(found[0].range.start.line, 8, 'the dx line');
  assert.match(found[0].message, /`x` is used 2 times in the forward pass of `g` \(in `h` and `out`\), so `dx` is the sum .* through `h` but not through `out`: add the term that `dout` sends back to `x`/);
  assert.equal(found[0].related?.[0].range.start.line, 4, 'points at the missed use');
});

test('no warning when every path is taken, when the derivation is inlined, for a mask or a dead statement', () => {
  assert.deepEqual(warnings(gate('  h = tanh(x * w)\n  out = x + h', '    dh = dout\n    dz = dh * (1 - h * h)\n    dx = dz * w + dout\n    dw = dz * x')), []);
  // inlined: no gradient of a forward value is read, so the lint cannot tell which path it is
  assert.deepEqual(warnings(gate('  h = tanh(x * w)\n  out = x + h', '    dx = dout * (1 - h * h) * w + dout\n    dw = dout * (1 - h * h) * x')), []);
  // a comparison passes no gradient: x * (x > 0) has one gradient path
  assert.deepEqual(warnings(gate('  m = x > 0\n  out = x * m * w', '    dx = dout * m * w\n    dw = dout * x * m')), []);
  // a statement the output does not read passes nothing
  assert.deepEqual(warnings(gate('  unused = x * 3\n  h = x * w\n  out = h', '    dh = dout\n    dx = dh * w\n    dw = dh * x')), []);
});

test('the helper lines a d<input> line reads are followed (until a gradient of a forward value)', () => {
  const text = gate('  a = x * w\n  b = sin_free(x)\n  out = a + b', '').replace('  b = sin_free(x)\n', '  b = exp(x)\n');
  const ok = text.replace('  backward {\n\n  }', '  backward {\n    da = dout\n    db = dout\n    via_a = da * w\n    via_b = db * b\n    dx = via_a + via_b\n    dw = da * x\n  }');
  assert.deepEqual(warnings(ok), []);
  const bad = ok.replace('dx = via_a + via_b', 'dx = via_a');
  assert.match(warnings(bad)[0]?.message ?? '', /through `a` but not through `b`/);
});

test('every example is free of the warning except the broken one that shows it', () => {
  // (examples/broken/attention-copied-input.grad is tested in layers-examples.test.ts)
  const text = gate('  q = x * w\n  k = x + w\n  v = x * x\n  out = q * k + v', '    dq = dout * k\n    dk = dout * q\n    dv = dout\n    dx = dq * w + dk + dv * 2 * x\n    dw = dq * x + dk');
  assert.deepEqual(warnings(text), []);
});
