// Dead-ReLU notes: one per layer (never per unit), information unless a majority of the layer's
// units is dead, with thresholds from the settings (gradlens.health.deadRelu.info / .warn).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { deepNetText } from '../fixtures/deepNet';
import { resolveConfig, analyzeOptions } from '../../src/server/settings';

const dead = (text: string, deadRelu?: { info: number; warn: number }) =>
  analyze(text, { gradcheck: false, ...(deadRelu ? { deadRelu } : {}) }).diagnostics.filter((d) => d.code === 'dead-relu');

const KILLED = `seed 0
dims N = 8, D = 6, H = 10
input X: [N, D]
param W1: [D, H] ~ he
param b1: [H] = -100
param W2: [H, H] ~ he
param b2: [H] = 0
h1 = relu(X @ W1 + b1)
h2 = relu(h1 @ W2 + b2)
loss = sum(h2)
`;

test('a layer whose units are all dead gets one warning, not one note per unit', () => {
  const notes = dead(KILLED);
  assert.equal(notes.length, 2, notes.map((d) => d.message).join('\n'));
  assert.deepEqual(notes.map((d) => d.range.start.line), [7, 8]);
  for (const d of notes) {
    assert.equal(d.severity, 'warning');
    assert.match(d.message, /^10 of 10 units of this relu \(100%\) are dead/);
  }
});

test('on a 30-layer he-initialised net: at most one note per layer, information level below a majority', () => {
  const notes = dead(deepNetText(30));
  const lines = notes.map((d) => d.range.start.line);
  assert.equal(new Set(lines).size, lines.length, 'one note per layer');
  assert.ok(notes.length <= 30);
  for (const d of notes) {
    const share = Number(/\((\d+)%\)/.exec(d.message)?.[1]) / 100;
    assert.equal(d.severity, share >= 0.5 ? 'warning' : 'info', d.message);
  }
});

test('the thresholds come from the settings: a higher info share drops the smaller notes, a lower warn share raises them', () => {
  const text = deepNetText(30);
  // The exact share (the message's percentage is rounded).
  const share = (m: string) => {
    const [, k, n] = /^(\d+) of (\d+) units/.exec(m) ?? [];
    return Number(k) / Number(n);
  };
  const byDefault = dead(text);
  assert.ok(byDefault.length > 0, 'the deep net has some dead units with the defaults');
  const cut = [...byDefault.map((d) => share(d.message))].sort((a, b) => a - b)[Math.floor(byDefault.length / 2)];
  const fewer = dead(text, { info: cut, warn: 0.5 });
  assert.deepEqual(
    fewer.map((d) => d.message),
    byDefault.filter((d) => share(d.message) >= cut).map((d) => d.message),
  );
  const warned = dead(text, { info: 0.25, warn: 0.2 });
  assert.equal(warned.length, byDefault.length);
  assert.ok(warned.every((d) => d.severity === 'warning'));
  // The server's settings reach the core's options.
  assert.deepEqual(analyzeOptions(resolveConfig((k) => ({ 'health.deadRelu.info': 0.4, 'health.deadRelu.warn': 2 })[k])).deadRelu, { info: 0.4, warn: 1 });
});

test('the analysis lists which units are dead (the dashboard shows them), the same units the values say', () => {
  const text = KILLED.replace('param b1: [H] = -100', 'param b1: [H] = [1, -100, 1, -100, 1, 1, -100, 1, 1, -100]').replace('param b2: [H] = 0', 'param b2: [H] = 1');
  const a = analyze(text, { gradcheck: false });
  const h1 = a.health?.find((f) => f.kind === 'dead-relu' && f.node === 'h1');
  assert.ok(h1?.deadUnits, JSON.stringify(a.health));
  // From the values themselves: a unit is dead when it is 0 for all 8 examples.
  const value = a.nodes.find((n) => n.name === 'h1')?.value as number[];
  const H = 10;
  const expected = [...Array(H).keys()].filter((u) => [...Array(8).keys()].every((i) => value[i * H + u] === 0));
  assert.deepEqual(expected, [1, 3, 6, 9]);
  assert.deepEqual(h1.deadUnits, { indices: expected.map((u) => [u]), dead: 4, units: 10, unitShape: [10] });
  assert.equal(h1.range.start.line, 7);
  assert.equal(h1.value, 0.4);
  // Each finding is also a diagnostic, with the same message.
  assert.ok(a.diagnostics.some((d) => d.code === 'dead-relu' && d.message === h1.message));
});

test('the dead units of a conv feature map are indexed [channel, y, x]; past 256 they are counted, not listed', () => {
  const conv = `seed 0
dims N = 4, C = 1, F = 2, S = 20
input X: [N, C, S, S] ~ randn
param W: [F, C, 3, 3] ~ he
param b: [F] = [-100, -100]
h = relu(conv2d(X, W, b, pad=1))
loss = sum(h)
`;
  const a = analyze(conv, { gradcheck: false });
  const f = a.health?.find((x) => x.kind === 'dead-relu');
  assert.ok(f?.deadUnits, JSON.stringify(a.health?.map((x) => x.message)));
  assert.deepEqual(f.deadUnits.unitShape, [2, 20, 20]);
  assert.equal(f.deadUnits.dead, 800);
  assert.equal(f.deadUnits.indices.length, 256);
  assert.deepEqual(f.deadUnits.indices[0], [0, 0, 0]);
  assert.deepEqual(f.deadUnits.indices[21], [0, 1, 1]);
});

test('no backward pass, no health list (absent, not empty): the dashboard says it is not checked yet', () => {
  const a = analyze('input x: [2] = [1, 2]\nloss = sum(x) +\n', { gradcheck: false });
  assert.equal(a.health, undefined);
});
