// The checks' worker yields the CPU to the editor: on Linux its thread runs at a nice value of
// CHECKS_NICENESS (per thread), the values lane and the rest of the process at the process' own.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CHECKS_NICENESS, WorkerClient } from '../../../src/server/analysis/workerClient';

/** The nice value of every thread of this process (Linux: /proc/self/task/<tid>/stat, field 19). */
function niceOfThreads(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

test('the checks worker thread runs niced, the lane and the process do not', { skip: process.platform !== 'linux' && 'per-thread nice values are read from /proc (Linux)' }, async () => {
  const script = join(__dirname, '..', 'helpers', 'analysisWorker.cjs');
  const before = niceOfThreads();
  const checks = new WorkerClient(script, () => undefined, undefined, CHECKS_NICENESS);
  const lane = new WorkerClient(script, () => undefined);
  try {
    await checks.request('analyze', { text: 'input x = 2\ny = x * x\n', fileName: 'a.grad', options: { gradcheck: false } }, 0);
    await lane.request('analyze', { text: 'input x = 2\ny = x * x\n', fileName: 'a.grad', options: { gradcheck: false } }, 0);
    const after = niceOfThreads();
    const base = Math.min(...before);
    assert.equal(after.filter((n) => n === base + CHECKS_NICENESS).length - before.filter((n) => n === base + CHECKS_NICENESS).length, 1, `one more thread at nice ${base + CHECKS_NICENESS}: ${after.join(' ')}`);
    assert.ok(after.filter((n) => n === base).length > before.filter((n) => n === base).length, 'the lane\'s thread at the process\' own');
  } finally {
    checks.dispose();
    lane.dispose();
  }
});
