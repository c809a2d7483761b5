// The gradient-check budget (GradCheckOptions.maxFlopsTotal, shareBudget): one analysis spends a
// bounded number of operations on the param/input checks, covers every tensor when one entry
// each fits, and otherwise names what it skipped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { analyze } from '../../src/core/analyze';
import { shareBudget } from '../../src/core/checks/gradcheck';

const item = fc.record({ wanted: fc.integer({ min: 1, max: 2000 }), perEntry: fc.integer({ min: 1, max: 1e7 }) });

test('shareBudget: everything wanted when it fits; otherwise within the budget, one entry each first', () => {
  fc.assert(
    fc.property(fc.array(item, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 1e9 }), (items, total) => {
      const out = shareBudget(items, total);
      const cost = (k: number) => out[k] * items[k].perEntry;
      const spent = out.reduce((a, _, k) => a + cost(k), 0);
      const full = items.reduce((a, i) => a + i.wanted * i.perEntry, 0);
      if (full <= total) {
        assert.deepEqual(out, items.map((i) => i.wanted));
        return;
      }
      assert.ok(spent <= total, `spent ${spent} of ${total}`);
      out.forEach((n, k) => assert.ok(n >= 0 && n <= items[k].wanted));
      // Coverage: a tensor is skipped only if one entry of it no longer fitted.
      const minimum = [...items].sort((a, b) => a.perEntry - b.perEntry);
      let left = total;
      let covered = 0;
      for (const i of minimum) {
        if (i.perEntry > left) break;
        left -= i.perEntry;
        covered++;
      }
      assert.equal(out.filter((n) => n > 0).length, covered);
      // Deterministic.
      assert.deepEqual(shareBudget(items, total), out);
    }),
    { numRuns: 300, seed: 11 },
  );
});

test('shareBudget: cheap checks keep all their entries, costly ones share the rest', () => {
  // Two cheap biases (64 entries × 10) and two costly weights (40 × 1000): 41,280 wanted, 20,000 available.
  const out = shareBudget([{ wanted: 40, perEntry: 1000 }, { wanted: 64, perEntry: 10 }, { wanted: 40, perEntry: 1000 }, { wanted: 64, perEntry: 10 }], 20_000);
  assert.deepEqual(out, [9, 64, 9, 64]);
});

function deepNet(layers: number): string {
  const lines = ['seed 2', 'dims N = 16, D = 32', 'input X: [N, D]', 'input y: int[N] in 0..D'];
  for (let l = 1; l <= layers; l++) lines.push(`param W${l}: [D, D] ~ he`, `param b${l}: [D] = 0`);
  let prev = 'X';
  for (let l = 1; l <= layers; l++) {
    lines.push(`h${l} = relu(${prev} @ W${l} + b${l})`);
    prev = `h${l}`;
  }
  lines.push(`loss = softmax_ce(${prev}, y)`);
  return lines.join('\n') + '\n';
}

test('a deep network under a tight budget still checks every tensor (fewer entries each)', () => {
  const text = deepNet(12);
  const roomy = analyze(text, { gradcheck: { maxFlopsTotal: Infinity } });
  const tight = analyze(text, { gradcheck: { maxFlopsTotal: 3e7 } });
  const entries = (a: typeof roomy) => a.gradchecks.reduce((x, c) => x + c.checked, 0);
  assert.equal(tight.gradchecks.length, roomy.gradchecks.length, 'every tensor covered');
  assert.ok(tight.gradchecks.every((c) => c.checked >= 1 && c.verdict !== 'fail'));
  assert.ok(entries(tight) < entries(roomy) / 2, `${entries(tight)} vs ${entries(roomy)} entries`);
  assert.ok(!tight.diagnostics.some((d) => d.code === 'gradcheck-skipped'));
});

test('past the point where one entry each fits, the costliest tensors are skipped and named', () => {
  const text = deepNet(12);
  const a = analyze(text, { gradcheck: { maxFlopsTotal: 1e6 } });
  const note = a.diagnostics.find((d) => d.code === 'gradcheck-skipped');
  assert.ok(note, JSON.stringify(a.diagnostics.map((d) => d.code)));
  assert.equal(note.severity, 'info');
  // The first layers are the costliest (everything after them re-runs); the last ones were checked.
  assert.match(note.message, /^not checked against the root: `X`, `W1`, `b1`/);
  assert.ok(a.gradchecks.some((c) => c.target === 'W12'), 'the last layer is checked');
  assert.ok(!a.gradchecks.some((c) => c.target === 'W1'));
  assert.equal(note.range.start.line, 2, 'on the declaration of the first skipped tensor (X)');
});

function gatedNet(layers: number): string {
  const lines = [
    'seed 3',
    'dims N = 8, D = 16',
    'input X: [N, D]',
    'gate layer(x: [N, D], W: [D, D]) -> out: [N, D] {',
    '  out = tanh(x @ W)',
    '  backward {',
    '    dz = dout * (1 - out * out)',
    '    dx = dz @ W.T',
    '    dW = x.T @ dz',
    '  }',
    '}',
  ];
  for (let l = 1; l <= layers; l++) lines.push(`param W${l}: [D, D] ~ xavier`, `h${l} = layer(${l === 1 ? 'X' : `h${l - 1}`}, W${l})`);
  lines.push(`loss = sum(h${layers} * h${layers})`);
  return lines.join('\n') + '\n';
}

test('a gate called in every layer: its first call is checked first, the others as the budget allows', () => {
  const text = gatedNet(30);
  const all = analyze(text, { gradcheck: { maxFlopsTotal: Infinity } });
  assert.ok(!all.diagnostics.some((d) => d.code === 'gradcheck-skipped'));
  const tight = analyze(text, { gradcheck: { maxFlopsTotal: 1e7 } });
  const notes = tight.diagnostics.filter((d) => d.code === 'gradcheck-skipped');
  const gateNote = notes.find((d) => d.message.startsWith('`layer` is called 30 times'));
  assert.ok(gateNote, notes.map((d) => d.message).join('\n'));
  const checked = Number(/of (\d+) of the calls/.exec(gateNote.message)?.[1]);
  assert.ok(checked >= 1 && checked < 30, gateNote.message);
  assert.equal(gateNote.range.start.line, 3, 'on the gate\'s name');
  for (const t of ['layer.dx', 'layer.dW']) assert.ok(tight.gradchecks.some((c) => c.target === t && c.verdict === 'pass'), t);
});

test('the first calls of gates share the budget too: a budget too small even for one call leaves the gate unchecked, and says so', () => {
  const a = analyze(gatedNet(30), { gradcheck: { maxFlopsTotal: 1e6 } });
  const note = a.diagnostics.find((d) => d.code === 'gradcheck-skipped' && d.message.startsWith('the backward block of `layer` was not checked'));
  assert.ok(note, a.diagnostics.map((d) => d.message).join('\n'));
  assert.ok(!a.gradchecks.some((c) => c.target.startsWith('layer.')));
});

test('many gates, each called once: their checks stop at the budget', () => {
  const lines = ['seed 3', 'dims N = 8, D = 16', 'input X: [N, D]'];
  for (let g = 1; g <= 40; g++) {
    lines.push(`gate layer${g}(x: [N, D], W: [D, D]) -> out: [N, D] {`, '  out = tanh(x @ W)', '  backward {', '    dz = dout * (1 - out * out)', '    dx = dz @ W.T', '    dW = x.T @ dz', '  }', '}');
    lines.push(`param W${g}: [D, D] ~ xavier`, `h${g} = layer${g}(${g === 1 ? 'X' : `h${g - 1}`}, W${g})`);
  }
  lines.push('loss = sum(h40 * h40)');
  const a = analyze(`${lines.join('\n')}\n`, { gradcheck: { maxFlopsTotal: 3e7 } });
  const gates = new Set(a.gradchecks.filter((c) => c.target.startsWith('layer')).map((c) => c.target.split('.')[0]));
  assert.ok(gates.size >= 1 && gates.size < 40, `${gates.size} gates checked`);
  assert.equal(a.diagnostics.filter((d) => d.code === 'gradcheck-skipped' && / was not checked/.test(d.message)).length, 40 - gates.size);
});
