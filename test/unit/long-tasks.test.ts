// scripts/longTasks.ts: the long tasks of a thread read from a V8 CPU profile — a synthetic profile
// with known tasks, and one taken here of a known busy loop.
import assert from 'node:assert/strict';
import { Session } from 'node:inspector/promises';
import { test } from 'node:test';
import { longTasks, oursByEntry, type CpuProfile, type CpuProfileNode } from '../../scripts/longTasks';

const frame = (id: number, functionName: string, url = '', children: number[] = []): CpuProfileNode => ({ id, callFrame: { functionName, url, lineNumber: 0, columnNumber: 0 }, children });

// root ─ (idle) · (garbage collector) · hostLoop ─ ourDraw ─ hostSend
const nodes = [
  frame(1, '(root)', '', [2, 3, 4]),
  frame(2, '(idle)'),
  frame(3, '(garbage collector)'),
  frame(4, 'hostLoop', 'file:///vscode/extensionHostProcess.js', [5]),
  frame(5, 'ourDraw', 'file:///repo/dist/extension.js', [6]),
  frame(6, 'hostSend', 'file:///vscode/extensionHostProcess.js'),
];
const ours = (url: string) => url.includes('/dist/extension.js');

/** A profile of 1 ms samples: each entry is [node id, how many samples]. */
function profile(runs: [number, number][], gapAt?: { index: number; us: number }): CpuProfile {
  const samples = runs.flatMap(([id, n]) => Array<number>(n).fill(id));
  const timeDeltas = samples.map((_, i) => (gapAt && i === gapAt.index ? gapAt.us : 1000));
  const total = timeDeltas.reduce((a, b) => a + b, 0);
  return { nodes, startTime: 0, endTime: total + 1000, samples, timeDeltas };
}

test('a run of non-idle samples is one task, split by where its time went', () => {
  // idle 5 ms · a 20 ms task (host 6, ours 8 of which 3 in host code it called, gc 6) · idle 5 · a 4 ms task · idle
  const p = profile([[2, 5], [4, 6], [5, 5], [6, 3], [3, 6], [2, 5], [4, 4], [2, 3]]);
  const tasks = longTasks(p, { minMs: 10, ours, stacks: 5 });
  assert.equal(tasks.length, 1);
  const [t] = tasks;
  assert.equal(t.startMs, 6);
  assert.equal(t.durationMs, 20);
  assert.deepEqual([t.hostMs, t.oursMs, t.gcMs, t.unobservedMs], [6, 8, 6, 0]);
  assert.deepEqual(t.stacks[0], { ms: 6, stack: ['hostLoop extensionHostProcess.js:1'] });
  assert.deepEqual(t.stacks.find((s) => s.stack.length === 3)?.stack, ['hostLoop extensionHostProcess.js:1', '*ourDraw extension.js:1', 'hostSend extensionHostProcess.js:1']);
  assert.equal(longTasks(p, { minMs: 4, ours }).length, 2);
  assert.deepEqual(oursByEntry(p, ours), [{ name: '*ourDraw extension.js:1', ms: 8 }]);
});

test('a gap between samples (the process was not running) is unobserved time, not the code sampled before it', () => {
  // 12 samples of host code, the 6th 50 ms after the 5th.
  const p = profile([[2, 3], [4, 12], [2, 3]], { index: 8, us: 50_000 });
  const [t] = longTasks(p, { minMs: 10, ours });
  assert.equal(t.durationMs, 61);
  assert.equal(t.unobservedMs, 49);
  assert.equal(t.hostMs, 12);
});

function spinFortyMs(): number {
  const end = performance.now() + 40;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  return x;
}

test('a real profile: a 40 ms busy loop between idle waits is found, with its function on the stack', async () => {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  await new Promise((r) => setTimeout(r, 30));
  spinFortyMs();
  await new Promise((r) => setTimeout(r, 30));
  const { profile: p } = await session.post('Profiler.stop');
  session.disconnect();
  const tasks = longTasks(p as CpuProfile, { minMs: 30, ours: (url) => url.includes('long-tasks.test'), stacks: 10 });
  const spin = tasks.find((t) => t.stacks.some((s) => s.stack.some((f) => f.startsWith('*spinFortyMs'))));
  assert.ok(spin, `the busy loop among ${JSON.stringify(tasks.map((t) => [t.durationMs, t.stacks[0]?.stack.at(-1)]))}`);
  // Wall time at least the loop's; more only by what ran next to it, or a loaded machine.
  assert.ok(spin.durationMs >= 38, `${spin.durationMs} ms`);
  assert.ok(spin.oursMs > 0);
});
