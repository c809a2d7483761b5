// Issue 15, item 9: a long dashboard task (landscape, training) runs in the analysis worker, so it
// must not starve the analysis: an analysis requested while it runs is served at the task's next
// yield (a slice of ~10 ms and one node), not after a grid row or a training step.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tanhNetText } from '../../fixtures/deepNet';
import { WorkerClient } from '../../../src/server/analysis/workerClient';

const ROOT = join(__dirname, '..', '..', '..');


test('an analysis requested during a landscape waits for a slice of it, not for a grid row', { timeout: 120_000 }, async (t) => {
  const failures: string[] = [];
  const worker = new WorkerClient(join(__dirname, '..', 'helpers', 'analysisWorker.cjs'), (e) => failures.push(e.message));
  try {
    const small = readFileSync(join(ROOT, 'examples', 'two-layer-net.grad'), 'utf8');
    // Warm the worker (modules loaded, code compiled) so the figure is the wait, not the start.
    await worker.request('analyze', { text: small, fileName: 'two-layer-net.grad', options: { gradcheck: false } }, 0);
    const waits: number[] = [];
    let rows = 0;
    let done = false;
    const probes: Promise<void>[] = [];
    const task = worker.task('landscape', { text: tanhNetText(80), fileName: 'deep.grad', options: {}, grid: 3, span: 0.5 }, 0, () => {
      rows++;
      // Right after a row: before, the request waited for the whole next row.
      if (rows > 2) return;
      const sent = performance.now();
      probes.push(
        worker.request('analyze', { text: small, fileName: 'two-layer-net.grad', options: { gradcheck: false } }, 0).then(() => {
          waits.push(performance.now() - sent - worker.lastDurationMs);
          assert.equal(done, false, 'served while the landscape still ran');
        }),
      );
    });
    const r = await task.promise.finally(() => (done = true));
    await Promise.all(probes);
    assert.equal(typeof r, 'object', String(r));
    t.diagnostic(`analysis waited ${waits.map((w) => w.toFixed(0)).join(', ')} ms behind the landscape (3 rows)`);
    assert.equal(waits.length, 2);
    assert.ok(Math.max(...waits) < 500, `waits ${waits.map((w) => w.toFixed(0)).join(', ')} ms`);
    assert.deepEqual(failures, []);
  } finally {
    worker.dispose();
  }
});
