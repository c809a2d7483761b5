// Messages from a webview are untrusted: parseFromWebview accepts exactly the protocol's messages
// with values in range, rejects everything else without throwing (fuzzed with fast-check).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LIMITS, parseFromWebview } from '../../src/shared/webviewProtocol';

test('valid messages pass through unchanged', () => {
  const valid = [
    { type: 'ready' },
    { type: 'recheck' },
    { type: 'reveal', range: { start: { line: 3, character: 0 }, end: { line: 3, character: 9 } } },
    { type: 'runLandscape', grid: 41, span: 1 },
    { type: 'runTraining', steps: 100, lr: 0.1, momentum: 0.9 },
    { type: 'cancel', task: 'landscape' },
    { type: 'sweep', target: 'W1', index: [3, 1] },
  ];
  for (const m of valid) assert.deepEqual(parseFromWebview(m), m);
});

test('out-of-range, ill-typed and unknown messages are rejected', () => {
  const invalid: unknown[] = [
    null,
    42,
    'ready',
    [],
    {},
    { type: 'evil' },
    { type: 'reveal', range: { start: { line: -1, character: 0 }, end: { line: 0, character: 0 } } },
    { type: 'reveal', range: { start: { line: 1.5, character: 0 }, end: { line: 0, character: 0 } } },
    { type: 'runLandscape', grid: 1e9, span: 1 },
    { type: 'runLandscape', grid: 41, span: Infinity },
    { type: 'runLandscape', grid: '41', span: 1 },
    { type: 'runTraining', steps: 100, lr: -1, momentum: 0.9 },
    { type: 'runTraining', steps: LIMITS.steps.max + 1, lr: 0.1, momentum: 0 },
    { type: 'runTraining', steps: 10, lr: 0.1, momentum: 1 },
    { type: 'cancel', task: 'rm -rf' },
    { type: 'sweep', target: '<img src=x onerror=alert(1)>', index: [0] },
    { type: 'sweep', target: 'W', index: Array.from({ length: 100 }, () => 0) },
    { type: 'sweep', target: 'W', index: [0.5] },
    { type: 'sweep', target: 'x'.repeat(1000), index: [] },
  ];
  for (const m of invalid) assert.equal(parseFromWebview(m), null, JSON.stringify(m));
});

test('fuzz: arbitrary values never throw, and whatever is accepted is a well-formed message', () => {
  const anyMessage = fc.oneof(
    fc.anything(),
    fc.record({ type: fc.constantFrom('ready', 'reveal', 'runLandscape', 'runTraining', 'cancel', 'recheck', 'sweep', 'nope'), range: fc.anything(), grid: fc.anything(), span: fc.anything(), steps: fc.anything(), lr: fc.anything(), momentum: fc.anything(), task: fc.anything(), target: fc.anything(), index: fc.anything() }, { requiredKeys: ['type'] }),
  );
  fc.assert(
    fc.property(anyMessage, (m) => {
      const r = parseFromWebview(m);
      if (r === null) return true;
      // Accepted: only the fields of its variant, with values in range.
      switch (r.type) {
        case 'runLandscape':
          return Number.isInteger(r.grid) && r.grid >= LIMITS.grid.min && r.grid <= LIMITS.grid.max && r.span >= LIMITS.span.min && r.span <= LIMITS.span.max;
        case 'runTraining':
          return Number.isInteger(r.steps) && r.lr > 0 && r.momentum >= 0 && r.momentum < 1;
        case 'reveal':
          return Number.isInteger(r.range.start.line) && r.range.start.line >= 0;
        case 'sweep':
          return /^[A-Za-z_]\w*$/.test(r.target) && r.index.every((i) => Number.isInteger(i) && i >= 0);
        default:
          return Object.keys(r).length <= 2;
      }
    }),
    { numRuns: 2000, seed: 5 },
  );
});
