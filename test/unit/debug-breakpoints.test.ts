// Breakpoints, conditions, hit counts and logpoints on the cursor, and the exception filters:
// the first NaN on its line, a failing gate check on its wrong d<input> line, a relu dead for the
// whole batch, a run-time error; a clean file runs to its end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHitCondition } from '../../src/core/debug';
import { cursorOf, lineOf, readExample, where } from './helpers/debug';

const circuit = readExample('circuit.grad');
const Q = lineOf(circuit, 'q = x + y');
const F = lineOf(circuit, 'f = q * z');

test('a breakpoint stops on its line forward and backward; continue runs to the end', () => {
  const c = cursorOf(circuit);
  const [bp] = c.setBreakpoints([{ line: Q }]);
  assert.ok(bp.verified && bp.line === Q && bp.message === undefined);
  const first = c.start(false).stopped;
  assert.equal(first?.reason, 'breakpoint');
  assert.deepEqual(first?.breakpoints, [bp.id]);
  assert.equal(where(c), `forward ${Q + 1} q = x + y`);
  assert.equal(where((c.continue(), c)), `backward ${Q + 1} q = x + y`);
  assert.equal(c.continue().stopped, null);
});

test('a breakpoint on a comment or blank line moves to the next line that runs, and says so', () => {
  const c = cursorOf(circuit);
  const [bp] = c.setBreakpoints([{ line: Q - 1 }]);
  assert.equal(bp.line, Q);
  assert.match(bp.message ?? '', new RegExp(`moved to line ${Q + 1}`));
  const [late] = c.setBreakpoints([{ line: circuit.split('\n').length + 5 }]);
  assert.equal(late.line, F, 'past the last statement: the last line that runs');
  const gate = readExample('affine-gate.grad');
  const g = cursorOf(gate);
  const [inBlock] = g.setBreakpoints([{ line: lineOf(gate, 'dW = X.T @ dout') }]);
  assert.ok(inBlock.verified && inBlock.line === lineOf(gate, 'dW = X.T @ dout'), 'backward-block lines take breakpoints');
  const [header] = g.setBreakpoints([{ line: lineOf(gate, 'gate affine') }]);
  assert.equal(header.line, lineOf(gate, 'out = X @ W + b'));
  g.setBreakpoints([{ line: lineOf(gate, 'dW = X.T @ dout') }]);
  g.start(false);
  assert.match(where(g), /^backward \d+ dW = X\.T @ dout$/);
  assert.equal(g.current?.stop.frames.length, 2, 'inside the gate frame');
});

test('conditions are .grad expressions in the frame; a condition that cannot be evaluated stops and says why', () => {
  const c = cursorOf(circuit);
  c.setBreakpoints([{ line: Q, condition: 'dq < 0' }]);
  c.start(false);
  assert.equal(where(c), `backward ${Q + 1} q = x + y`, 'only where q has a negative gradient: backward');
  const d = cursorOf(circuit);
  d.setBreakpoints([{ line: F, condition: 'q * 2' }]);
  assert.equal(d.start(false).stopped?.reason, 'breakpoint', 'a non-zero number is true');
  const e = cursorOf(circuit);
  e.setBreakpoints([{ line: F, condition: 'q @ q' }]);
  const bad = e.start(false).stopped;
  assert.equal(bad?.reason, 'breakpoint');
  assert.match(bad?.conditionError ?? '', /q @ q.*@/);
  const net = cursorOf(readExample('two-layer-net.grad'));
  net.setBreakpoints([{ line: lineOf(readExample('two-layer-net.grad'), 'h1     ='), condition: 'max(abs(dW1)) > 0' }]);
  net.start(false);
  assert.equal(net.current?.stop.phase, 'backward', 'dW1 exists only once the backward pass reached W1');
});

test('hit counts: the Nth time a line stops; counts follow the cursor back', () => {
  const c = cursorOf(circuit);
  c.setBreakpoints([{ line: Q, hitCondition: '2' }]);
  c.start(false);
  assert.equal(where(c), `backward ${Q + 1} q = x + y`);
  const d = cursorOf(circuit);
  const [bp] = d.setBreakpoints([{ line: F, hitCondition: '== 1' }]);
  d.start(false);
  assert.equal(where(d), `forward ${F + 1} f = q * z`);
  assert.equal(d.continue().stopped, null, 'the second hit is not == 1');
  const e = cursorOf(circuit);
  e.setBreakpoints([{ line: F, hitCondition: '== 2' }]);
  e.start(false);
  assert.equal(where(e), `backward ${F + 1} f = q * z`);
  e.stepBack();
  e.stepBack();
  assert.equal(where(e), `forward ${Q + 1} q = x + y`);
  e.continue();
  assert.equal(where(e), `backward ${F + 1} f = q * z`, 'stepping back un-counted the hits it went back over');
  assert.equal(e.reverseContinue().stopped?.reason, 'entry', 'going back, == 2 is not met at the first hit');
  assert.equal(parseHitCondition('% 2')?.(4), true);
  assert.equal(parseHitCondition('nope'), null);
  const [bad] = cursorOf(circuit).setBreakpoints([{ line: F, hitCondition: 'often' }]);
  assert.ok(!bad.verified && /not understood/.test(bad.message ?? ''));
  assert.ok(bp.counted.size > 0);
});

test('logpoints write their message with {expressions} evaluated and do not stop', () => {
  const c = cursorOf(circuit);
  c.setBreakpoints([{ line: F, logMessage: 'q={q} f={f} dz={dz}' }]);
  const m = c.start(false);
  assert.equal(m.stopped, null);
  assert.deepEqual(m.output, ['q=3 f=-12 dz=<`dz` has no value yet at this step>', 'q=3 f=-12 dz=3']);
});

test('reverse continue stops at the breakpoints behind the cursor', () => {
  const c = cursorOf(circuit);
  c.setBreakpoints([{ line: Q }]);
  c.start(false);
  c.continue();
  assert.equal(where(c), `backward ${Q + 1} q = x + y`);
  assert.equal(c.reverseContinue().stopped?.reason, 'breakpoint');
  assert.equal(where(c), `forward ${Q + 1} q = x + y`);
});

test('nonfinite: a forward log of a negative number stops on its line, with the op and its input', () => {
  const text = 'input x = -1\ny = log(x)\nloss = y * 2\n';
  const c = cursorOf(text);
  c.setExceptionFilters(['nonfinite']);
  const s = c.start(false).stopped;
  assert.equal(s?.reason, 'exception');
  assert.equal(where(c), 'forward 2 y = log(x)');
  assert.match(s?.exception?.message ?? '', /`log` produced NaN.*x = -1/);
  const off = cursorOf(text);
  assert.equal(off.start(false).stopped, null, 'without the filter the run goes on');
});

test('nonfinite: an overflowing hand-written softmax stops at its exp, with the stability fix', () => {
  const text = readExample('broken/softmax-overflow.grad');
  const c = cursorOf(text);
  c.setExceptionFilters(['nonfinite']);
  const s = c.start(false).stopped;
  assert.equal(s?.exception?.filter, 'nonfinite');
  assert.match(s?.exception?.message ?? '', /`exp` produced Inf/);
  assert.match(s?.exception?.fix ?? '', /subtracting the max/);
});

test('gradcheck: wrong-sign.grad stops at its wrong line, db = dout, with the worst entry', () => {
  const text = readExample('broken/wrong-sign.grad');
  const c = cursorOf(text);
  c.setExceptionFilters(['gradcheck']);
  const s = c.start(false).stopped;
  assert.equal(s?.reason, 'exception');
  assert.equal(where(c), `backward ${lineOf(text, 'db = dout') + 1} db = dout`);
  assert.match(s?.exception?.message ?? '', /gradient check failed for `db` of `difference`: relative error 1 at \[\d\]/);
  for (const file of ['broken/relu-mask.grad', 'broken/sigmoid-input.grad', 'broken/swapped-order.grad']) {
    const b = cursorOf(readExample(file));
    b.setExceptionFilters(['gradcheck']);
    assert.equal(b.start(false).stopped?.reason, 'exception', file);
    assert.match(where(b), /^backward \d+ d\w+ =/, `${file}: on a d<input> line`);
  }
});

test('dead-relu: a relu with every unit dead for the batch stops there', () => {
  const text = 'input x: [4, 2] = [[-1, -2], [-3, -1], [-1, -1], [-2, -5]]\nparam w: [2, 2] = [[1, 0], [0, 1]]\nh = relu(x @ w)\nloss = sum(h)\n';
  const c = cursorOf(text);
  c.setExceptionFilters(['dead-relu']);
  const s = c.start(false).stopped;
  assert.equal(s?.exception?.filter, 'dead-relu');
  assert.equal(where(c), 'forward 3 h = relu(x @ w)');
  assert.match(s?.exception?.message ?? '', /2 of 2 units/);
});

test('a run-time error always stops; a clean file with every filter on runs to its end', () => {
  const c = cursorOf('input x: [2, 3] = 1\ninput y: int[2] = [0, 7]\nloss = softmax_ce(x, y)\n');
  const s = c.start(false).stopped;
  assert.equal(s?.reason, 'exception');
  assert.equal(s?.exception?.filter, 'error');
  for (const file of ['circuit.grad', 'affine-gate.grad', 'two-layer-net.grad']) {
    const clean = cursorOf(readExample(file));
    clean.setExceptionFilters(['nonfinite', 'gradcheck', 'dead-relu']);
    assert.equal(clean.start(false).stopped, null, file);
  }
});
