// Issue 15, item 9: the dashboard's long tasks share the analysis worker's thread, so they must
// yield often — at least every 100 ms — for an analysis request waiting behind them to run. Before,
// the landscape yielded once per grid row and training once per step (whole passes: seconds).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { tanhNetText } from '../fixtures/deepNet';
import { analyzeSession } from '../../src/core/analyze';
import { lossLandscape } from '../../src/core/explore/landscape';
import type { Pacer } from '../../src/core/explore/region';
import { train } from '../../src/core/explore/training';


/**
 * CPU time of this thread alone (Linux: /proc, in 10 ms ticks): process.cpuUsage() also counts V8's
 * background threads (concurrent compilation and GC), which do not keep the event loop waiting.
 */
const THREAD_STAT = `/proc/self/task/${process.pid}/stat`;
const cpuMs = existsSync(THREAD_STAT)
  ? () => {
      const fields = readFileSync(THREAD_STAT, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    }
  : () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };

/**
 * How long the event loop did not run a 5 ms timer while `task` ran: in CPU time (the work done
 * without yielding; the machine is shared, and waiting for a core is not the task's doing) and in
 * wall time (reported).
 */
async function longestStall<T>(task: () => Promise<T>): Promise<{ result: T; stallCpuMs: number; stallMs: number; passMs: number }> {
  let last = { wall: performance.now(), cpu: cpuMs() };
  let stallMs = 0;
  let stallCpuMs = 0;
  const timer = setInterval(() => {
    const now = { wall: performance.now(), cpu: cpuMs() };
    stallMs = Math.max(stallMs, now.wall - last.wall);
    stallCpuMs = Math.max(stallCpuMs, now.cpu - last.cpu);
    last = now;
  }, 5);
  try {
    last = { wall: performance.now(), cpu: cpuMs() };
    const t0 = performance.now();
    const result = await task();
    return { result, stallCpuMs, stallMs, passMs: performance.now() - t0 };
  } finally {
    clearInterval(timer);
  }
}

const text = tanhNetText(40);

test('the loss landscape yields at least every 100 ms, inside a grid point (each point is a whole forward pass)', async (t) => {
  const s = analyzeSession(text, { gradcheck: false });
  assert.equal(s.analysis.diagnostics.filter((d) => d.severity === 'error').length, 0);
  let pacer: Pacer | null = null;
  const { result, stallCpuMs, stallMs, passMs } = await longestStall(() => lossLandscape(s, { grid: 3, span: 0.5 }, { progress: () => {}, cancelled: () => false, paced: (p) => (pacer = p) }));
  assert.equal(typeof result, 'object');
  t.diagnostic(`longest wait of the event loop: ${stallCpuMs.toFixed(0)} ms of work, ${stallMs.toFixed(0)} ms wall; ${passMs.toFixed(0)} ms in all`);
  assert.ok(stallCpuMs < 100, `the event loop waited for ${stallCpuMs.toFixed(0)} ms of work (${stallMs.toFixed(0)} ms wall, 9 points in ${passMs.toFixed(0)} ms)`);
  const p = pacer as Pacer | null;
  assert.ok(p && p.yields > 9, `yields within the points: ${p?.yields}`);
});

test('training yields at least every 100 ms, inside a step (forward and backward passes are paced)', async (t) => {
  const s = analyzeSession(text, { gradcheck: false });
  let pacer: Pacer | null = null;
  const { result, stallCpuMs, stallMs, passMs } = await longestStall(() => train(s, { steps: 3, lr: 0.01, momentum: 0.9 }, { progress: () => {}, cancelled: () => false, paced: (p) => (pacer = p) }));
  assert.equal(typeof result, 'object');
  t.diagnostic(`longest wait of the event loop: ${stallCpuMs.toFixed(0)} ms of work, ${stallMs.toFixed(0)} ms wall; ${passMs.toFixed(0)} ms in all`);
  assert.ok(stallCpuMs < 100, `the event loop waited for ${stallCpuMs.toFixed(0)} ms of work (${stallMs.toFixed(0)} ms wall, 3 steps in ${passMs.toFixed(0)} ms)`);
  const p = pacer as Pacer | null;
  assert.ok(p && p.yields > 3, `yields within the steps: ${p?.yields}`);
});

test('a task cancelled mid-pass stops at its next yield and leaves the session as it was', async () => {
  const s = analyzeSession(text, { gradcheck: false });
  const before = s.analysis.nodes.find((n) => n.name === 'loss')?.value?.[0];
  const W1 = s.graph?.named.get('W1') as number;
  const w1 = Array.from(s.execution?.values[W1]?.data ?? []);
  let asked = 0;
  // Cancelled from the first yield on: not one grid row (nor one training step) is finished.
  const r = await lossLandscape(s, { grid: 3, span: 0.5 }, { progress: () => assert.fail('no row should finish'), cancelled: () => ++asked > 0 });
  assert.equal(r, 'cancelled');
  const t = await train(s, { steps: 5, lr: 0.1, momentum: 0 }, { progress: () => assert.fail('no step should finish'), cancelled: () => true });
  assert.equal(t, 'cancelled');
  assert.deepEqual(Array.from(s.execution?.values[W1]?.data ?? []), w1);
  const again = await train(s, { steps: 1, lr: 0.1, momentum: 0 }, { progress: () => {}, cancelled: () => false });
  assert.ok(typeof again === 'object' && again.result.losses[0] === before, 'the first loss of a new run is the file’s loss');
});
