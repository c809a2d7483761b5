// The recorded run and the cursor over it: the circuit's walk with the lecture's numbers, gate
// frames forward and backward, stepping back to exactly the tensors of the previous stop, the
// references kept (never copies), the budget and the refusals.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordTrace, TraceCursor } from '../../src/core/debug';
import { cursorOf, lineOf, readExample, scalar, traceOf, where } from './helpers/debug';

const circuit = readExample('circuit.grad');

test('the circuit: one stop per statement forward, one per node backward', () => {
  const t = traceOf(circuit);
  const lines = t.stops.map((s) => `${s.phase} ${s.frames[s.frames.length - 1].text}`);
  assert.deepEqual(lines, ['forward input x = -2', 'forward input y = 5', 'forward input z = -4', 'forward q = x + y', 'forward f = q * z', 'backward f = q * z', 'backward q = x + y']);
  assert.ok(t.stops.every((s) => s.frames.length === 1 && s.frames[0].kind === 'statement'));
  assert.deepEqual(t.stopLines, [lineOf(circuit, 'input x'), lineOf(circuit, 'input y'), lineOf(circuit, 'input z'), lineOf(circuit, 'q = x'), lineOf(circuit, 'f = q')]);
});

test('the circuit walked: q = 3 at f = q * z; backward x gets -4 and z gets 3; every leaf final at the last stop', () => {
  const c = cursorOf(circuit);
  assert.equal(c.start(true).stopped?.reason, 'entry');
  assert.equal(where(c), `forward ${lineOf(circuit, 'input x') + 1} input x = -2`);
  while (!where(c).includes('forward') || !where(c).includes('f = q * z')) c.next();
  assert.equal(scalar(c, 'locals', 'q'), 3);
  assert.equal(scalar(c, 'locals', 'f'), -12);
  assert.deepEqual(c.frame(0)?.gradients, [], 'no gradient in the forward pass');
  c.next();
  assert.equal(where(c), `backward ${lineOf(circuit, 'f = q') + 1} f = q * z`);
  const step = c.frame(0)?.step;
  assert.ok(step);
  assert.equal(step.upstream.data[0], 1);
  assert.deepEqual(step.sent.map((s) => `${s.input}=${s.grad.data[0]}`), ['dq=-4', 'dz=3']);
  assert.deepEqual(step.local.map((l) => `${l.input}:${l.value}`), ['q:-4', 'z:3'], 'mul switches');
  assert.equal(scalar(c, 'gradients', 'dz'), 3);
  c.next();
  assert.equal(where(c), `backward ${lineOf(circuit, 'q = x') + 1} q = x + y`);
  assert.equal(scalar(c, 'gradients', 'dx'), -4);
  assert.equal(scalar(c, 'gradients', 'dy'), -4);
  assert.equal(scalar(c, 'gradients', 'dz'), 3);
  assert.equal(c.next().stopped, null, 'past the last stop the run ends');
});

test('stepping back restores exactly the tensors of each earlier stop (the same references)', () => {
  for (const file of ['circuit.grad', 'affine-gate.grad', 'two-layer-net.grad', 'rnn.grad', 'conv-gate.grad']) {
    const c = cursorOf(readExample(file));
    const snapshots: { values: unknown[]; grads: unknown[] }[] = [];
    const snap = () => ({ values: [...c.state.values], grads: [...c.state.grads] });
    c.start(true);
    for (;;) {
      snapshots[c.current!.stop.index] = snap();
      if (!c.stepIn().stopped) break;
    }
    // From the end (re-entered through reverse continue) back to the start, stop by stop.
    c.reverseContinue();
    assert.equal(c.current?.stop.index, 0, `${file}: reverse continue goes to the first stop`);
    for (;;) {
      const k = c.current!.stop.index;
      const s = snap();
      assert.ok(s.values.every((v, i) => v === snapshots[k].values[i]) && s.grads.every((g, i) => g === snapshots[k].grads[i]), `${file}: state at stop ${k}`);
      if (!c.stepIn().stopped) break;
    }
  }
});

test('stepBack returns to the previous stop at the same depth or above (the reverse of next), with the same tensors', () => {
  const text = readExample('affine-gate.grad');
  const c = cursorOf(text);
  const stops = c.trace.stops;
  const depth = (k: number) => stops[k].frames.length - 1;
  c.start(true);
  let exact = 0;
  for (let i = 0; i < 40; i++) {
    const before = c.current!.stop.index;
    const states = new Map<number, { values: unknown[]; grads: unknown[] }>();
    states.set(before, { values: [...c.state.values], grads: [...c.state.grads] });
    const move = i % 3 === 0 ? c.stepIn() : c.next();
    if (!move.stopped) break;
    const landed = c.current!.stop.index;
    let expected = landed - 1;
    while (expected > 0 && depth(expected) > depth(landed)) expected--;
    if (depth(landed) >= depth(before)) assert.equal(expected, before, 'a move that does not climb out of a gate comes back to where it started');
    c.stepBack();
    assert.equal(c.current?.stop.index, expected, `step ${i}: from stop ${landed} back to ${expected}`);
    if (expected === before) {
      exact++;
      const s = states.get(before)!;
      assert.ok(c.state.values.every((v, k) => v === s.values[k]) && c.state.grads.every((g, k) => g === s.grads[k]), `step ${i}: the same tensors`);
    }
    c.stepIn();
  }
  assert.ok(exact > 10, `${exact} exact returns`);
  c.reverseContinue();
  assert.equal(c.stepBack().stopped?.reason, 'entry', 'at the first stop, step back stays');
  assert.equal(c.current?.stop.index, 0);
});

test('a gate call: next steps over it, step in walks its body forward and its backward block line by line', () => {
  const text = readExample('affine-gate.grad');
  const c = cursorOf(text);
  c.start(true);
  while (!where(c).includes('param b2')) c.next();
  c.next();
  assert.match(where(c), /^forward \d+ h1 {5}= relu_layer/, 'next steps over both calls of the h1 line');
  c.stepBack();
  c.stepIn();
  assert.equal(where(c), `forward ${lineOf(text, 'out = X @ W + b') + 1} out = X @ W + b`);
  const frames = c.current!.stop.frames;
  assert.deepEqual(frames.map((f) => f.kind), ['statement', 'gate']);
  assert.deepEqual(c.frame(1)?.parameters.map((p) => p.name), ['X', 'W', 'b'], "the gate's inputs are its frame's parameters");
  c.stepOut();
  assert.match(where(c), /^forward \d+ h1 {5}= relu_layer/);
  // Backward: the scores line's call runs its block; step in shows dX, dW, db in turn.
  while (!(c.current!.stop.phase === 'backward')) c.next();
  c.stepIn();
  const block: string[] = [];
  while (c.current!.stop.frames.length === 2) {
    block.push(where(c).replace(/^backward \d+ /, ''));
    c.next();
  }
  assert.deepEqual(block, ['dX = dout @ W.T', 'dW = X.T @ dout', 'db = sum(dout, axis=0)']);
  assert.match(where(c), /^backward \d+ scores = affine/, 'after the block: the call, which sends dX, dW, db');
  assert.deepEqual(c.frame(0)?.step?.sent.map((s) => s.input), ['dh1', 'dW2', 'db2']);
  assert.equal(c.frame(0)?.step?.label, 'affine');
});

test('step out of a statement finishes the pass: forward to the first backward stop, backward to the end', () => {
  const c = cursorOf(circuit);
  c.start(true);
  c.stepOut();
  assert.equal(where(c), `backward ${lineOf(circuit, 'f = q') + 1} f = q * z`);
  assert.equal(c.stepOut().stopped, null);
});

test('the trace keeps the engine’s tensors, never copies', () => {
  const t = traceOf(readExample('two-layer-net.grad'));
  const c = new TraceCursor(t);
  c.start(false);
  assert.ok(c.ended);
  for (const id of t.graph.order) assert.equal(c.state.values[id], t.execution.values[id], `value of node ${id}`);
  for (const id of t.graph.order) assert.equal(c.state.grads[id], t.execution.grads[id], `gradient of node ${id}`);
});

test('a file with errors, or over the budget, is refused with a reason', () => {
  const bad = recordTrace('input x: [3]\ninput W: [4, 2]\ny = sum(x @ W)\n');
  assert.ok(!bad.ok);
  assert.match(bad.message, /line 3: .*@/);
  const big = recordTrace(readExample('two-layer-net.grad'), { maxElements: 200 });
  assert.ok(!big.ok);
  assert.match(big.message, /over the limit of 200/);
  const t = traceOf(readExample('two-layer-net.grad'));
  const small = recordTrace(readExample('two-layer-net.grad'), { maxElements: t.elements });
  assert.ok(small.ok, 'exactly the counted elements fit');
  assert.ok(!recordTrace('# nothing\n').ok);
});

test('seed and dims from the launch change the run', () => {
  const a = traceOf(readExample('two-layer-net.grad'), { dims: { N: 6 } });
  assert.equal(a.dims.N, 6);
  const b = traceOf(readExample('two-layer-net.grad'), { seed: 3 });
  assert.equal(b.seed, 3);
});
