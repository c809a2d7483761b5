// The bench's `examples` row (bench/examples.ts): the slowest example is the row, and it is met only
// when every example was timed with the same loss as its peer; the peer runs an example's exported
// script's network section and its backward pass, and gets the script's own loss and gradients.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { examplesRow, exportFor, prepareExample, type ExampleTiming } from '../../bench/examples';
import { Peer } from '../../bench/peer';
import type { WorkloadDef } from '../../bench/workloads';
import { torchAvailable, torchRequired } from './helpers/torch';

const DEF: WorkloadDef = { name: 'examples', family: 'examples', what: '', text: null, peer: 'torch', target: 1 };
const PEER = { label: 'torch', blas: 'OpenBLAS 0.3.21 Zen' };

function timing(name: string, g: number, q: number | null, sameLoss: boolean | null = true): ExampleTiming {
  return { name, gradlensMs: g, peerMs: q, peerThreads: q === null ? null : 1, ratio: q === null ? null : g / q, sameLoss };
}

test('the examples row is its slowest example against its peer, met when every example is at or under the target', () => {
  const { row, note } = examplesRow(DEF, [timing('a.grad', 0.1, 1), timing('b.grad', 0.3, 0.4), timing('c.grad', 0.02, 0.2)], PEER, 90);
  assert.equal(row.gradlens_ms, 0.3);
  assert.equal(row.peer_ms, 0.4);
  assert.equal(row.ratio, 0.75);
  assert.equal(row.met, true);
  assert.match(note, /slowest example against its peer: b\.grad; 3 of 3 examples timed/);
  assert.match(note, /a\.grad 100 \/ 1000 µs 0\.10×.*b\.grad 300 \/ 400 µs 0\.75×.*c\.grad/);
  assert.equal(examplesRow(DEF, [timing('a.grad', 0.1, 1), timing('b.grad', 0.5, 0.4)], PEER, 90).row.met, false, 'one example over 1.0×');
});

test('the examples row is not met when an example was not timed or its loss differs from the peer', () => {
  const missing = examplesRow(DEF, [timing('a.grad', 0.1, 1), { ...timing('b.grad', NaN, null), error: 'not exported: unsupported' }], PEER, 90);
  assert.equal(missing.row.met, false);
  assert.match(missing.note, /1 of 2 examples timed.*b\.grad: not exported: unsupported/);
  const differs = examplesRow(DEF, [timing('a.grad', 0.1, 1, false)], PEER, 90);
  assert.equal(differs.row.met, false);
  assert.match(differs.note, /loss differs/);
  assert.equal(examplesRow(DEF, [timing('a.grad', 0.1, 1)], PEER, null).row.met, false, 'no peak memory measured');
});

function skipReason(): string | false {
  if (torchAvailable()) return false;
  if (torchRequired()) assert.fail('GRADLENS_REQUIRE_TORCH=1 but Python with torch is not installed (apt-get install -y python3-torch)');
  return 'Python with torch not found (apt-get install -y python3-torch); the peer is not run';
}

test("the peer runs an example's exported script step by step and gets GradLens' loss", { skip: skipReason() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlens-bench-examples-'));
  const peer = new Peer(join(__dirname, '..', '..', 'bench'), { ...process.env });
  try {
    for (const name of ['two-layer-net.grad', 'conv-gate.grad']) {
      const file = join(__dirname, '..', '..', 'examples', name);
      const at = join(dir, name);
      assert.equal(exportFor(file, at), null, `${name} exports`);
      const p = prepareExample(file);
      p.run();
      const ours = p.loss() as number;
      p.dispose?.();
      const a = await peer.ask({ cmd: 'time', workload: `examples/${name}`, dir: at, impl: 'torch', reps: 3, warmup: 1, threads: 1 });
      assert.equal(a.error, undefined, String(a.error));
      assert.equal((a.times_ms as number[]).length, 3);
      assert.ok(Math.abs((a.loss as number) - ours) <= 1e-10 * Math.max(1, Math.abs(ours)), `${name}: torch ${a.loss} vs GradLens ${ours}`);
    }
  } finally {
    peer.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
