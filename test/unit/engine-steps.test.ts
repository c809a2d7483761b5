// The passes as sequences of steps (what the debugger walks): the circuit's forward and backward
// steps in order with the lecture's numbers, a gate's backward block stepped line by line, and the
// stepped passes giving exactly what `forward`/`backward` give.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeSession } from '../../src/core/analyze';
import { Execution, type Step } from '../../src/core/engine/run';

const examples = join(__dirname, '..', '..', 'examples');

function session(file: string) {
  const s = analyzeSession(readFileSync(join(examples, file), 'utf8'), { gradcheck: false });
  assert.ok(s.graph && s.graph.root !== null, `${file} has no graph`);
  return { graph: s.graph, root: s.graph.root, seed: s.analysis.seed };
}

function label(graph: ReturnType<typeof session>['graph'], id: number): string {
  const n = graph.nodes[id];
  return n.name ?? n.label;
}

test('the circuit: forward steps in source order, backward steps from f to the leaves', () => {
  const { graph, root, seed } = session('circuit.grad');
  const ex = new Execution(graph, seed);
  const forward = [...ex.forwardSteps()];
  assert.deepEqual(
    forward.map((s) => `${s.phase} ${label(graph, s.node)}=${ex.values[s.node]?.item()}`),
    ['forward x=-2', 'forward y=5', 'forward z=-4', 'forward q=3', 'forward f=-12'],
  );
  const backward = [...ex.backwardSteps(root)].filter((s): s is Extract<Step, { phase: 'backward' }> => s.phase === 'backward');
  // f = q * z sends z·1 = -4 to q and q·1 = 3 to z; q = x + y distributes -4 to both.
  assert.deepEqual(
    backward.map((s) => `${label(graph, s.node)} ∂${s.upstream.item()} → ${s.sent.map((g) => `${label(graph, g.input)}:${g.grad.item()}`).join(' ')}`),
    ['f ∂1 → q:-4 z:3', 'q ∂-4 → x:-4 y:-4'],
  );
});

test('a gate with a backward block: its lines are steps inside the gate call’s backward step', () => {
  const { graph, root, seed } = session('affine-gate.grad');
  const ex = new Execution(graph, seed);
  ex.forward();
  const steps = [...ex.backwardSteps(root)];
  const firstBlock = steps.findIndex((s) => s.phase === 'backward-block');
  assert.ok(firstBlock >= 0, 'no backward-block step');
  const block = steps[firstBlock];
  assert.equal(block.phase, 'backward-block');
  const gc = graph.gateCalls[(block as Extract<Step, { phase: 'backward-block' }>).gateCall];
  // Every line of the block is stepped before the gate call's own backward step, which sends dX, dW, db.
  const lines = steps.slice(firstBlock).findIndex((s) => s.phase === 'backward');
  assert.equal(lines, gc.backward?.nodes.length);
  const callStep = steps[firstBlock + lines];
  assert.equal(callStep.node, gc.outputNode);
  assert.ok(callStep.phase === 'backward' && callStep.sent.length > 0);
});

test('stepping a pass gives the same values and gradients as running it', () => {
  for (const file of ['two-layer-net.grad', 'affine-gate.grad', 'rnn.grad', 'conv-gate.grad']) {
    const { graph, root, seed } = session(file);
    const run = new Execution(graph, seed);
    run.forward();
    run.backward(root);
    const stepped = new Execution(graph, seed);
    for (const _ of stepped.forwardSteps());
    for (const _ of stepped.backwardSteps(root));
    graph.nodes.forEach((_n, id) => {
      assert.deepEqual(stepped.values[id]?.data, run.values[id]?.data, `${file}: value of node ${id}`);
      assert.deepEqual(stepped.grads[id]?.data, run.grads[id]?.data, `${file}: gradient of node ${id}`);
    });
  }
});

test('a run-time error ends the forward steps at its node, with the issue on that step', () => {
  const text = 'input x: [2, 3] = 1\ninput y: int[2] = [0, 7]\nloss = softmax_ce(x, y)\n';
  const s = analyzeSession(text, { gradcheck: false });
  const graph = s.graph!;
  const ex = new Execution(graph, 0);
  const steps = [...ex.forwardSteps()];
  const last = steps[steps.length - 1];
  assert.equal(last.issues.length, 1, JSON.stringify(steps.map((x) => x.issues)));
  assert.equal(last.issues[0].kind, 'error');
});
