// The values at the line ends and the code lenses above the lines never say the same thing: with
// value lenses off (the default) the line ends carry the values; with them on, the line ends carry
// what the lens does not (ranges under a full lens, norms under a minimal one). A gate's lens names
// its worst gradient; its line end lists every gradient's verdict.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import type { Analysis } from '../../src/core/model';
import { gateVerdictTitle, lineValues, nodeLensTitle, type LensDetail } from '../../src/shared/present/titles';

const dir = join(__dirname, '..', '..', 'examples');
const files = [...readdirSync(dir).filter((f) => f.endsWith('.grad')), ...readdirSync(join(dir, 'broken')).map((f) => `broken/${f}`)];
const analyses: [string, Analysis][] = files.map((f) => [f, analyze(readFileSync(join(dir, f), 'utf8'))]);

/** Every lens title on a line, as the server makes them (codeLens.ts). */
function lensTitles(a: Analysis, values: boolean, detail: LensDetail): Map<number, string[]> {
  const out = new Map<number, string[]>();
  const add = (line: number, t: string) => out.set(line, [...(out.get(line) ?? []), t]);
  if (values) for (const n of a.nodes) add(n.statementRange.start.line, nodeLensTitle(n, a.root, detail));
  for (const g of a.gates) {
    const v = gateVerdictTitle(g, a);
    if (v) add(g.headerRange.start.line, v);
  }
  return out;
}

for (const detail of ['full', 'minimal'] as const) {
  test(`value lenses on (${detail}): no line end repeats a lens, in any example`, () => {
    let compared = 0;
    for (const [file, a] of analyses) {
      const lenses = lensTitles(a, true, detail);
      for (const lv of lineValues(a, { values: true, detail })) {
        for (const part of lv.text.split('   ')) {
          const body = part.replace(/^\w+: /, '');
          // Statements span one line in the examples: the lens is on the line the text ends on.
          for (const title of lenses.get(lv.line) ?? []) {
            compared++;
            assert.ok(!title.includes(body) && !body.includes(title), `${file}:${lv.line + 1}: line end "${body}" repeats lens "${title}"`);
          }
        }
      }
    }
    assert.ok(compared > 50, `compared ${compared}`);
  });
}

test('value lenses off (the default): the line ends carry the full values; the gate lines their gradients one by one', () => {
  const [, circuit] = analyses.find(([f]) => f === 'circuit.grad') as [string, Analysis];
  const f = circuit.nodes.find((n) => n.name === 'f');
  assert.ok(f);
  assert.equal(lineValues(circuit).find((l) => l.line === f.statementRange.end.line)?.text, 'f: value -12 · ∂f 1');
  assert.equal(lineValues(circuit, { values: false, detail: 'full' }).find((l) => l.line === f.statementRange.end.line)?.text, 'f: value -12 · ∂f 1');
  const [, wrong] = analyses.find(([f]) => f === 'broken/wrong-sign.grad') as [string, Analysis];
  const gate = wrong.gates[0];
  const header = (l: { values: boolean; detail: LensDetail }) => lineValues(wrong, l).find((x) => x.line === gate.headerRange.start.line)?.text;
  assert.equal(header({ values: false, detail: 'full' }), 'da ✓ · db ✗');
  assert.notEqual(header({ values: false, detail: 'full' }), gateVerdictTitle(gate, wrong));
  // With every lens off, the line end is the only place for the verdict.
  assert.equal(header({ values: false, detail: 'off' }), gateVerdictTitle(gate, wrong));
});

test('value lenses on: a tensor\'s line end gives the ranges of its value and gradient, a scalar\'s nothing', () => {
  const [, net] = analyses.find(([f]) => f === 'two-layer-net.grad') as [string, Analysis];
  const W1 = net.nodes.find((n) => n.name === 'W1');
  const loss = net.nodes.find((n) => n.name === 'loss');
  assert.ok(W1?.valueStats && W1.gradStats && loss);
  const lines = lineValues(net, { values: true, detail: 'full' });
  const w1 = lines.find((l) => l.line === W1.statementRange.end.line)?.text ?? '';
  assert.match(w1, /^W1: v ∈ -?[\d.e+-]+ … -?[\d.e+-]+ · ∂loss ∈ -?[\d.e+-]+ … -?[\d.e+-]+$/);
  assert.ok(!lines.some((l) => l.text.startsWith('loss:')), 'the loss lens says it all');
  const minimal = lineValues(net, { values: true, detail: 'minimal' }).find((l) => l.line === W1.statementRange.end.line)?.text ?? '';
  assert.match(minimal, /^W1: ‖v‖ [\d.e+-]+ · ‖∂loss‖ [\d.e+-]+/);
});

test('the line end leaves out the symbolic shape its line already shows (written, or an inlay hint), so the norms come sooner', () => {
  const [, net] = analyses.find(([f]) => f === 'two-layer-net.grad') as [string, Analysis];
  const at = (name: string, shapeHints: boolean) => {
    const n = net.nodes.find((x) => x.name === name);
    assert.ok(n);
    return lineValues(net, { values: false, detail: 'off', shapeHints }).find((l) => l.line === n.statementRange.end.line)?.text ?? '';
  };
  // `param W1: [D, H]` writes its shape: never repeated.
  assert.match(at('W1', false), /^W1: 10×5 · ‖v‖ [\d.]+ · ‖∂loss‖ [\d.]+$/);
  // `h1 = relu(…)` infers it: repeated only when no inlay hint shows it.
  assert.match(at('h1', false), /^h1: \[N, H\] = 4×5 · ‖v‖/);
  assert.match(at('h1', true), /^h1: 4×5 · ‖v‖ [\d.]+ · ‖∂loss‖ [\d.]+/);
  assert.ok(at('h1', true).length < at('h1', false).length - 8);
});
