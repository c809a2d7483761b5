// What needs shapes alone (inlay hints) answers from the shapes phase, before the values; what needs
// values waits for them, also while the values lane computes them; a later phase with the same
// hints asks the client for no refresh.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DocumentAnalyses, type DocumentAnalysis } from '../../../src/server/documentAnalyses';
import { RefreshPolicy } from '../../../src/server/features/refreshPolicy';
import { settingsFrom } from '../../../src/server/settings';
import { doc, fakeWorker, tick, withLane } from '../helpers/fakeAnalysisWorker';

const NET = 'param W: [2, 3] ~ randn\nh = W * 2\nloss = sum(h * h)\n';
const URI = 'file:///a.grad';

/** Whether `p` settled within a few ticks, and with what. */
async function settled<T>(p: Promise<T>): Promise<{ done: boolean; value?: T }> {
  let out: { done: boolean; value?: T } = { done: false };
  void p.then((value) => (out = { done: true, value }));
  await tick(5);
  return out;
}

test('shapes alone answer from the shapes phase, before the values; values wait for the values phase', async () => {
  const { worker, calls } = fakeWorker();
  const analyses = new DocumentAnalyses(worker, () => settingsFrom({ debounceMs: 0 }), () => undefined);
  analyses.opened(doc(NET, 1));
  await tick(5);
  const shapes = analyses.whenCurrent(URI, 1, 5000, 'shapes');
  const values = analyses.whenCurrent(URI, 1, 5000);
  assert.equal((await settled(shapes)).done, false, 'nothing is published yet');
  calls[0].early('shapes');
  const s = await settled(shapes);
  assert.equal(s.done, true, 'the shapes phase answers what needs shapes');
  assert.equal(s.value?.analysis.phase, 'shapes');
  assert.deepEqual(s.value?.analysis.nodes.find((n) => n.name === 'h')?.shape, [2, 3]);
  assert.equal((await settled(values)).done, false, 'what needs values still waits');
  calls[0].early('values');
  const v = await settled(values);
  assert.equal(v.value?.analysis.phase, 'values');
  calls[0].finish();
  await tick(5);
  // Once it is all in, both answer at once with the finished analysis.
  assert.equal((await settled(analyses.whenCurrent(URI, 1, 5000, 'shapes'))).value?.analysis.phase, undefined);
  analyses.dispose();
});

test('while the values lane computes a text\'s values (the worker waits for them), a request for values waits for the lane', async () => {
  const { main, laneCalls, analyses } = withLane();
  analyses.opened(doc(NET, 1));
  await tick(5);
  // The worker is busy with version 1 when version 2 comes: the lane runs 2, the worker's run stops.
  analyses.changed(doc(NET.replace('* 2', '* 3'), 2));
  await tick(5);
  main.calls[0].finish();
  await tick(5);
  assert.equal(main.calls.length, 1, 'the worker waits for the lane\'s values of version 2');
  const values = analyses.whenCurrent(URI, 2, 5000);
  assert.equal((await settled(values)).done, false, 'not answered with an older text');
  laneCalls()[0].finish();
  const v = await settled(values);
  assert.equal(v.value?.version, 2);
  assert.equal(v.value?.analysis.phase, 'values');
  analyses.dispose();
});

function result(version: number, shape: number[], phase?: 'shapes' | 'values'): DocumentAnalysis {
  return { uri: URI, version, analysis: { phase, nodes: [{ name: 'h', shape }] } } as unknown as DocumentAnalysis;
}

test('a refresh policy with `sameItems`: a later phase whose items are the same asks for no refresh; other items do', async () => {
  let refreshes = 0;
  const policy = new RefreshPolicy(
    () => refreshes++,
    (a, b) => a.analysis.nodes[0].shape.join() === b.analysis.nodes[0].shape.join(),
  );
  const shapes = result(3, [2, 3], 'shapes');
  await policy.serve(URI, 3, () => Promise.resolve(shapes));
  policy.onAnalysis(result(3, [2, 3], 'values'));
  policy.onAnalysis(result(3, [2, 3]));
  assert.equal(refreshes, 0, 'the same hints: the client has them');
  // The same version again with other sizes (Set Dimension Sizes re-runs the text).
  policy.onAnalysis(result(3, [5, 3]));
  assert.equal(refreshes, 1);
  // Without `sameItems`, any other result of the version the client asked for is refreshed.
  let plain = 0;
  const old = new RefreshPolicy(() => plain++);
  await old.serve(URI, 3, () => Promise.resolve(shapes));
  old.onAnalysis(result(3, [2, 3], 'values'));
  assert.equal(plain, 1);
});
