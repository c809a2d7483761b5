// An analysis hands out early snapshots while it runs (the editor publishes values before the
// gradient checks end): shapes, then values, then the finished Analysis; each snapshot stays as
// it was handed out. And the values at the line ends of an older text move with their lines.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import type { Analysis, AnalysisPhase } from '../../src/core/model';
import { lineValues } from '../../src/shared/present/titles';
import { moveLineValues, sameLines, staleText } from '../../src/shared/present/staleLines';

const example = (name: string) => readFileSync(join(__dirname, '..', '..', 'examples', name), 'utf8');

function withPhases(text: string, gradcheck = true): { phases: [AnalysisPhase, Analysis][]; final: Analysis } {
  const phases: [AnalysisPhase, Analysis][] = [];
  const final = analyze(text, { gradcheck, onPhase: (p, a) => phases.push([p, structuredClone(a)]) });
  return { phases, final };
}

test('shapes, then values before any gradient check, then the finished analysis', () => {
  const { phases, final } = withPhases(example('affine-gate.grad'));
  assert.deepEqual(phases.map(([p]) => p), ['shapes', 'values']);
  const [shapes, values] = phases.map(([, a]) => a);
  assert.ok(shapes.nodes.length > 0 && shapes.nodes.every((n) => n.value === null && n.shape.length === final.nodes.find((f) => f.name === n.name)?.shape.length), 'shapes without values');
  assert.deepEqual(values.gradchecks, [], 'no check has run at the values phase');
  assert.ok(final.gradchecks.length > 0, 'the finished analysis has the checks');
  assert.deepEqual(
    values.nodes.map((n) => [n.name, n.value, n.grad]),
    final.nodes.map((n) => [n.name, n.value, n.grad]),
    'the values phase has the final values and gradients',
  );
  assert.equal(final.phase, undefined);
  // The gate's verdict at the line ends says the checks are still running.
  assert.ok(lineValues(values).some((l) => l.text === 'checking…'));
  assert.ok(!lineValues(final).some((l) => l.text === 'checking…'));
});

test('a snapshot handed out is not changed by the rest of the run', () => {
  const kept: Analysis[] = [];
  analyze(example('affine-gate.grad'), { onPhase: (_p, a) => kept.push(a) });
  assert.equal(kept[1].gradchecks.length, 0);
  assert.equal(kept[1].phase, 'values');
});

test('no early phases when the checks are off (the finished analysis comes at once); no values phase when backward cannot run', () => {
  assert.deepEqual(withPhases(example('two-layer-net.grad'), false).phases, []);
  const broken = withPhases('input x: [2] ~ randn\ny = sum(x + nope)\n');
  assert.deepEqual(broken.phases.map(([p]) => p).filter((p) => p === 'values'), []);
  assert.ok(broken.final.diagnostics.some((d) => d.severity === 'error'));
});

test('stale line values move with their lines and lose the lines an edit replaced', () => {
  const lines = [
    { line: 1, text: 'a' },
    { line: 4, text: 'b' },
    { line: 6, text: 'c' },
  ];
  // Typing inside line 4 keeps everything where it is: the same array, nothing allocated.
  assert.equal(moveLineValues(lines, [{ startLine: 4, endLine: 4, insertedBreaks: 0 }]), lines);
  // So does an edit below the last text.
  assert.equal(moveLineValues(lines, [{ startLine: 7, endLine: 7, insertedBreaks: 1 }]), lines);
  assert.equal(moveLineValues(lines, [{ startLine: 9, endLine: 11, insertedBreaks: 0 }]), lines);
  // A line break typed on line 6 splits its line: its text goes (as for any split line).
  assert.deepEqual(moveLineValues(lines, [{ startLine: 6, endLine: 6, insertedBreaks: 1 }, { startLine: 5, endLine: 5, insertedBreaks: 0 }]), lines.slice(0, 2));
  // Two lines inserted at line 2: the texts below move down by two.
  assert.deepEqual(moveLineValues(lines, [{ startLine: 2, endLine: 2, insertedBreaks: 2 }]), [
    { line: 1, text: 'a' },
    { line: 6, text: 'b' },
    { line: 8, text: 'c' },
  ]);
  // Lines 3–5 joined into one: line 4's text goes, line 6's moves up by two.
  assert.deepEqual(moveLineValues(lines, [{ startLine: 3, endLine: 5, insertedBreaks: 0 }]), [
    { line: 1, text: 'a' },
    { line: 4, text: 'c' },
  ]);
  // Lines 3–5 replaced by three lines: line 4's text goes, the others stay (as the same objects).
  const replaced = moveLineValues(lines, [{ startLine: 3, endLine: 5, insertedBreaks: 2 }]);
  assert.deepEqual(replaced, [
    { line: 1, text: 'a' },
    { line: 6, text: 'c' },
  ]);
  assert.equal(replaced[1], lines[2]);
  assert.deepEqual(lines[1], { line: 4, text: 'b' }, 'the given texts are not changed');
  // Edits applied in order (the later one in the first one's lines).
  assert.deepEqual(
    moveLineValues(lines, [
      { startLine: 5, endLine: 5, insertedBreaks: 1 },
      { startLine: 0, endLine: 1, insertedBreaks: 0 },
    ]),
    [
      { line: 3, text: 'b' },
      { line: 6, text: 'c' },
    ],
  );
  assert.match(staleText('h1: [N, H] = 4×5'), /^h1: \[N, H\] = 4×5 · updating…$/);
});

test('the same texts: an edit inside a line keeps them (nothing is sent again), a moved line or a new text does not', () => {
  const lines = [
    { line: 1, text: 'a' },
    { line: 4, text: 'b' },
  ];
  assert.ok(sameLines(lines, moveLineValues(lines, [{ startLine: 4, endLine: 4, insertedBreaks: 0 }])));
  assert.ok(sameLines(lines, moveLineValues(lines, [{ startLine: 7, endLine: 7, insertedBreaks: 3 }])), 'lines below the last text');
  assert.ok(!sameLines(lines, moveLineValues(lines, [{ startLine: 2, endLine: 2, insertedBreaks: 1 }])), 'a line inserted above b');
  assert.ok(!sameLines(lines, moveLineValues(lines, [{ startLine: 4, endLine: 4, insertedBreaks: 1 }])), 'b\'s line split');
  assert.ok(!sameLines(lines, [{ line: 1, text: 'a' }, { line: 4, text: 'c' }]), 'a new text');
  assert.ok(!sameLines(lines, [{ line: 1, text: 'a' }]), 'a text fewer');
  assert.ok(!sameLines(lines, [...lines, { line: 5, text: 'c' }]), 'a text more');
  assert.ok(sameLines([], []));
  // Only the texts the editor draws count (a large file draws the visible lines and a margin).
  const more = [...lines, { line: 900, text: 'far below' }];
  assert.ok(sameLines(lines, more, (l) => l.line < 100));
  assert.ok(!sameLines(lines, more));
  assert.ok(!sameLines(more, lines, (l) => l.line < 100), 'a drawn text that is no longer there');
});
