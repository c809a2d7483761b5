// The language server's scheduling of analyses, with a fake analysis worker: debounce, the latest
// text wins (a stale run is cancelled), unchanged text is not re-run, overrides reach the options,
// and a failed run rejects only the callers waiting for that text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DocumentAnalyses } from '../../../src/server/documentAnalyses';
import { analyzeOptions, settingsFrom } from '../../../src/server/settings';
import { doc, fakeWorker, tick, withLane } from '../helpers/fakeAnalysisWorker';

test('edits are debounced: only the text after the last keystroke is analysed', async () => {
  const { worker, calls } = fakeWorker(true);
  const analyses = new DocumentAnalyses(worker, () => settingsFrom({ debounceMs: 30 }), () => undefined);
  analyses.changed(doc('input x = 1\ny = x * 2\n', 2));
  analyses.changed(doc('input x = 2\ny = x * 2\n', 3));
  analyses.changed(doc('input x = 3\ny = x * 2\n', 4));
  const r = await analyses.whenCurrent('file:///a.grad', 4, 1000);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].text, 'input x = 3\ny = x * 2\n');
  assert.equal(r?.version, 4);
  assert.deepEqual(Array.from(r?.analysis.nodes.find((n) => n.name === 'y')?.value ?? []), [6]);
  analyses.dispose();
});

test('the first edit after a quiet moment runs at once; an edit following it within the debounce waits for quiet', async () => {
  const { worker, calls } = fakeWorker(true);
  let clock = 1000;
  const analyses = new DocumentAnalyses(worker, () => settingsFrom({ debounceMs: 400 }), () => undefined, () => clock);
  analyses.changed(doc('input x = 1\ny = x * 2\n', 2));
  // Well before the 400 ms debounce: the first edit had nothing to wait for.
  await tick(100);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].text, 'input x = 1\ny = x * 2\n');
  // 50 ms (by the scheduler's clock) after the first edit: this one waits for 400 ms of quiet.
  clock += 50;
  analyses.changed(doc('input x = 2\ny = x * 2\n', 3));
  await tick(100);
  assert.equal(calls.length, 1, 'an edit within the debounce of the previous one is not run at once');
  const r = await analyses.whenCurrent('file:///a.grad', 3, 2000);
  assert.equal(calls.length, 2);
  assert.equal(r?.version, 3);
  // Long after: at once again.
  clock += 5000;
  analyses.changed(doc('input x = 3\ny = x * 2\n', 4));
  await tick(100);
  assert.equal(calls.length, 3);
  analyses.dispose();
});

test('a newer text cancels the running analysis of a stale one, and only the newer result is published', async () => {
  const { worker, calls } = fakeWorker();
  const analyses = new DocumentAnalyses(worker, () => settingsFrom({ debounceMs: 0 }), () => undefined);
  const published: number[] = [];
  analyses.onDidAnalyze((r) => published.push(r.version));
  analyses.opened(doc('input x = 1\ny = x\n', 1));
  await tick(5);
  assert.equal(calls.length, 1);
  analyses.changed(doc('input x = 5\ny = x\n', 2));
  await tick(5);
  assert.equal(calls[0].cancelled, true, 'the stale run was told to stop');
  calls[0].finish();
  await tick(5);
  assert.equal(calls.length, 2, 'the newer text runs once the stale run stopped');
  calls[1].finish();
  await tick(5);
  assert.deepEqual(published, [2]);
  assert.equal(analyses.cancelledRuns, 1);
  analyses.dispose();
});

test('unchanged text and settings are not analysed again; overrides are part of what changes', async () => {
  const { worker, calls } = fakeWorker(true);
  const analyses = new DocumentAnalyses(worker, () => settingsFrom({}), () => undefined);
  const d = doc('seed 0\ninput x: [2] ~ randn\ny = sum(x)\n', 1);
  await analyses.analyzeNow(d);
  await analyses.analyzeNow(d);
  assert.equal(calls.length, 1);
  analyses.setOverrides(d.uri, { seed: 7, dims: null });
  const r = await analyses.analyzeNow(d);
  assert.equal(calls.length, 2);
  assert.equal(calls[1].options.seed, 7);
  assert.equal(r.analysis.seed, 7);
  analyses.dispose();
});

test('a settings change re-runs only the documents whose analysis it changes; one that changes only the display publishes the result again', async () => {
  const { worker, calls } = fakeWorker(true);
  let raw: Record<string, unknown> = { debounceMs: 0 };
  const analyses = new DocumentAnalyses(worker, () => settingsFrom(raw), () => undefined);
  const published: number[] = [];
  analyses.onDidAnalyze((r) => published.push(r.version));
  const d = doc('input x = 2\ny = x * x\n', 1);
  await analyses.analyzeNow(d);
  assert.deepEqual([calls.length, published], [1, [1]]);
  // The display and the scheduling: the same result again, no run.
  raw = { debounceMs: 0, inlineValues: { enabled: false }, run: 'onSave' };
  analyses.rerunAll([d]);
  await tick(20);
  assert.deepEqual([calls.length, published], [1, [1, 1]]);
  // Edited since (analyses on save): the settings change does not run the unsaved text.
  const edited = doc('input x = 3\ny = x * x\n', 2);
  analyses.changed(edited);
  raw = { debounceMs: 0, inlineValues: { enabled: true }, run: 'onSave' };
  analyses.rerunAll([edited]);
  await tick(20);
  assert.deepEqual([calls.length, published], [1, [1, 1]], 'nothing runs or is published for the unsaved text');
  // What the analysis depends on: it runs again.
  raw = { debounceMs: 0, run: 'onSave', gradientCheck: { h: 1e-4 } };
  analyses.rerunAll([edited]);
  const r = await analyses.whenCurrent(edited.uri, 2, 2000);
  assert.equal(calls.length, 2);
  assert.equal(r?.version, 2);
  analyses.dispose();
});

test('forceChecks runs the gradient checks when the setting turns them off', async () => {
  const { worker, calls } = fakeWorker(true);
  const analyses = new DocumentAnalyses(worker, () => settingsFrom({ gradientCheck: { enabled: false } }), () => undefined);
  const d = doc('input x = 2\ny = x * x\n', 1);
  await analyses.analyzeNow(d);
  assert.equal(calls[0].options.gradcheck, false);
  await analyses.analyzeNow(d, { forceChecks: true });
  assert.notEqual(calls[1].options.gradcheck, false);
  analyses.dispose();
});

test('a failed run rejects the callers waiting for that text; the next edit runs again', async () => {
  const { worker, calls } = fakeWorker();
  const log: string[] = [];
  const analyses = new DocumentAnalyses(worker, () => settingsFrom({ debounceMs: 0 }), (l) => log.push(l));
  const d = doc('input x = 2\n', 1);
  const p = analyses.analyzeNow(d);
  calls[0].fail(new Error('the analysis worker crashed'));
  await assert.rejects(p, /crashed/);
  assert.match(log.join('\n'), /crashed/);
  const q = analyses.analyzeNow(doc('input x = 3\n', 2));
  calls[1].finish();
  assert.equal((await q).version, 2);
  analyses.dispose();
});

test('a request for the text that is running waits for that run instead of starting it again', async () => {
  const { worker, calls } = fakeWorker();
  const analyses = new DocumentAnalyses(worker, () => settingsFrom({ debounceMs: 0 }), () => undefined);
  const d = doc('input x = 2\ny = x * x\n', 1);
  analyses.opened(d);
  await tick(5);
  assert.equal(calls.length, 1);
  const asked = analyses.analyzeNow(d);
  await tick(5);
  assert.equal(calls.length, 1, 'no second run');
  assert.equal(calls[0].cancelled, false, 'the running one goes on');
  calls[0].finish();
  assert.equal((await asked).text, d.getText());
  // Asked to run the checks whatever the settings say: a run of its own.
  const forced = analyses.analyzeNow(d, { forceChecks: true });
  assert.equal(calls.length, 2);
  calls[1].finish();
  await forced;
  analyses.dispose();
});

test('a closed document stops its pending work and publishes nothing', async () => {
  const { worker, calls } = fakeWorker();
  const analyses = new DocumentAnalyses(worker, () => settingsFrom({ debounceMs: 0 }), () => undefined);
  let published = 0;
  analyses.onDidAnalyze(() => published++);
  analyses.opened(doc('input x = 1\n', 1));
  await tick(5);
  analyses.closed('file:///a.grad');
  assert.equal(calls[0].cancelled, true);
  calls[0].finish();
  await tick(5);
  assert.equal(published, 0);
  assert.equal(analyses.get('file:///a.grad'), undefined);
  analyses.dispose();
});

test('a document closed and opened again under its URI (an untitled file) gets only its own results; a request waiting for the closed one is answered', async () => {
  const { main, laneCalls, analyses } = withLane();
  const uri = 'untitled:Untitled-1';
  const texts: string[] = [];
  analyses.onDidAnalyze((r) => texts.push(r.text));
  // The worker is busy with other files: each text runs in the lane too.
  (main.worker as unknown as { busy: boolean }).busy = true;
  const old = doc('input x = 1\ny = x * 2\n', 1, uri);
  analyses.opened(old);
  await tick(5);
  const waiting = analyses.analyzeNow(old);
  await tick(5);
  assert.ok(laneCalls().some((c) => c.text === old.getText()), 'the lane runs the text');
  analyses.closed(uri);
  await assert.rejects(waiting, /was closed/);
  const fresh = doc('input x = 5\ny = x * 3\n', 1, uri);
  analyses.opened(fresh);
  await tick(5);
  // The closed document's runs and lane runs end after the new one opened: none of them is published.
  for (const c of [...main.calls, ...laneCalls()].filter((c) => c.text === old.getText())) c.finish();
  await tick(5);
  assert.deepEqual(texts.filter((t) => t === old.getText()), [], 'nothing of the closed text');
  for (const c of [...main.calls, ...laneCalls()].filter((c) => c.text === fresh.getText())) c.finish();
  await tick(5);
  assert.ok(texts.includes(fresh.getText()), 'the new text is published');
  assert.equal(analyses.get(uri)?.text, fresh.getText());
  analyses.dispose();
});

test('the early phases are published as they come; a request for values answers from the values phase', async () => {
  const { worker, calls } = fakeWorker();
  let clock = 0;
  const analyses = new DocumentAnalyses(worker, () => settingsFrom({ debounceMs: 0 }), () => undefined, () => clock);
  const published: string[] = [];
  analyses.onDidAnalyze((r) => published.push(`${r.version}:${r.analysis.phase ?? 'done'}:${r.latencyMs ?? '-'}`));
  const text = 'seed 1\ninput x: [3] ~ randn\nparam w: [3] ~ randn\nloss = sum(x * w)\n';
  analyses.opened(doc(text, 1));
  await tick(5);
  calls[0].finish();
  await tick(5);
  analyses.changed(doc(text.replace('seed 1', 'seed 2'), 2));
  await tick(5);
  const current = analyses.whenCurrent('file:///a.grad', 2, 5000);
  let answered = false;
  void current.then(() => (answered = true));
  clock = 30;
  calls[1].early('shapes');
  await tick(5);
  assert.equal(answered, false, 'shapes alone do not answer a request for values');
  calls[1].early('values');
  const early = await current;
  assert.equal(early?.analysis.phase, 'values', 'a request for version 2 is answered by its values, before the checks');
  assert.ok(early?.analysis.nodes.find((n) => n.name === 'loss')?.value, 'the values phase carries values');
  assert.equal(analyses.get('file:///a.grad')?.analysis.phase, 'values');
  calls[1].finish();
  await tick(5);
  assert.equal(analyses.get('file:///a.grad')?.analysis.phase, undefined, 'the finished analysis replaces the values phase');
  // The edit → result latency is counted once, when the values arrived (clock 30 − edit at 0).
  assert.deepEqual(published, ['1:done:-', '2:shapes:-', '2:values:30', '2:done:-']);
  analyses.dispose();
});

test('an early phase of a stale text is not published when a newer text is waiting', async () => {
  const { worker, calls } = fakeWorker();
  const analyses = new DocumentAnalyses(worker, () => settingsFrom({ debounceMs: 0 }), () => undefined);
  const published: string[] = [];
  analyses.onDidAnalyze((r) => published.push(`${r.version}:${r.analysis.phase ?? 'done'}`));
  analyses.opened(doc('input x = 1\ny = x * x\n', 1));
  await tick(5);
  analyses.changed(doc('input x = 2\ny = x * x\n', 2));
  await tick(5);
  calls[0].early('values');
  calls[0].finish();
  await tick(5);
  calls[1].early('values');
  calls[1].finish();
  await tick(5);
  assert.deepEqual(published, ['2:values', '2:done']);
  analyses.dispose();
});

test('the values lane publishes a new text\'s values while the worker is busy with an older text; the worker\'s own early phases of it are not published again', async () => {
  const { main, laneWorker, laneCalls, analyses, published } = withLane();
  const text = 'seed 1\ninput x: [3] ~ randn\nparam w: [3] ~ randn\nloss = sum(x * w)\n';
  analyses.opened(doc(text, 1));
  await tick(5);
  assert.equal(laneCalls().length, 0, 'an idle worker brings its own values: no lane run');
  assert.equal(laneWorker.prestarts(), 1, 'but the lane\'s worker is started, ready for the first edit');
  assert.equal(laneWorker.calls.length, 1, 'and warmed up once, on a small net');
  analyses.opened(doc(text, 1, 'file:///b.grad'));
  assert.equal(laneWorker.calls.length, 1, 'once');
  analyses.closed('file:///b.grad');
  main.calls[0].early('values');
  // The first text's checks are running; an edit arrives.
  analyses.changed(doc(text.replace('seed 1', 'seed 2'), 2));
  await tick(5);
  assert.equal(main.calls[0].cancelled, true);
  assert.equal(laneCalls().length, 1, 'the lane runs the new text at once');
  assert.equal(laneCalls()[0].options.gradcheck, false, 'without the gradient checks');
  // Issue 15: the lane's quarter of the element budget comes out of the main worker's, so the two
  // together never hold more than the budget (before, the main worker had all of it: 1.25×).
  const budget = analyzeOptions(settingsFrom({ debounceMs: 0 })).maxElements ?? Infinity;
  const laneLimit = laneCalls()[0].options.maxElements ?? Infinity;
  const mainLimit = main.calls[0].options.maxElements ?? Infinity;
  assert.equal(laneLimit, Math.floor(budget / 4), 'on a quarter of the budget');
  assert.ok(laneLimit + mainLimit <= budget, `lane ${laneLimit} + main ${mainLimit} within the budget of ${budget}`);
  assert.match(main.calls[0].options.maxElementsSource ?? '', /less the quarter the editor's values lane may hold/);
  laneCalls()[0].finish();
  await tick(5);
  assert.deepEqual(published, ['1:values', '2:values'], 'version 2\'s values arrive before the worker has even started it');
  assert.deepEqual(analyses.get('file:///a.grad')?.analysis.nodes.find((n) => n.name === 'w')?.value?.length, 3);
  main.calls[0].finish();
  await tick(5);
  assert.equal(main.calls.length, 2);
  main.calls[1].early('shapes');
  main.calls[1].early('values');
  main.calls[1].finish();
  await tick(5);
  assert.deepEqual(published, ['1:values', '2:values', '2:done'], 'the worker\'s shapes and values of version 2 add nothing; its finished analysis does');
  analyses.dispose();
});

test('the worker starts the new text\'s checks once the lane\'s values are in; a lane result for a text no longer current is dropped; a too-large text is left to the worker', async () => {
  const { main, lane, laneCalls, analyses, published } = withLane();
  analyses.opened(doc('input x = 1\ny = x * x\n', 1));
  await tick(5);
  analyses.changed(doc('input x = 2\ny = x * x\n', 2));
  await tick(5);
  analyses.changed(doc('input x = 3\ny = x * x\n', 3));
  await tick(5);
  assert.equal(laneCalls().length, 2);
  assert.equal(laneCalls()[0].cancelled, true, 'a newer text cancels the lane\'s older run');
  laneCalls()[0].finish();
  main.calls[0].finish();
  await tick(5);
  assert.equal(main.calls.length, 1, 'the stale run stopped, but the worker waits for the lane\'s values of version 3 before its checks');
  laneCalls()[1].finish();
  await tick(5);
  assert.equal(main.calls.length, 2, 'the values are in: the worker starts version 3');
  assert.equal(main.calls[1].text, 'input x = 3\ny = x * x\n');
  main.calls[1].early('values');
  main.calls[1].finish();
  await tick(5);
  assert.deepEqual(published, ['3:values', '3:done'], 'version 2 never shows; the worker\'s own values of version 3 add nothing');
  assert.equal(lane.used + lane.declined, 2, 'the warm-up is not counted');
  // Past the lane's share of the budget its run reports too-large: nothing is published from it,
  // and the worker goes on at once.
  const big = 'param W: [3000, 3000] ~ randn\nloss = sum(W)\n';
  analyses.changed(doc(big, 4));
  await tick(5);
  assert.equal(main.calls.length, 3, 'an idle worker runs the text itself');
  main.calls[2].early('shapes');
  analyses.changed(doc(big.replace('randn', 'zeros'), 5));
  await tick(5);
  laneCalls()[laneCalls().length - 1].finish();
  await tick(5);
  assert.ok(!published.includes('5:values'), 'the lane declined (its quarter of the budget is too small)');
  main.calls[2].finish();
  await tick(5);
  assert.equal(main.calls.length, 4, 'the declined lane holds nothing back');
  main.calls[3].finish();
  await tick(5);
  assert.ok(published.includes('5:done'));
  analyses.dispose();
});

test('an edit while the worker waits for the lane goes to the lane too; the worker then runs only the latest text', async () => {
  const { main, laneCalls, analyses, published } = withLane();
  analyses.opened(doc('input x = 1\ny = x * x\n', 1));
  await tick(5);
  analyses.changed(doc('input x = 2\ny = x * x\n', 2));
  await tick(5);
  main.calls[0].finish(); // stopped: version 2 now waits for the lane
  await tick(5);
  analyses.changed(doc('input x = 4\ny = x * x\n', 3));
  await tick(5);
  assert.equal(laneCalls().length, 2, 'the lane runs version 3');
  assert.equal(main.calls.length, 1, 'the worker still waits');
  laneCalls()[0].finish();
  await tick(5);
  assert.equal(main.calls.length, 1, 'the older lane run does not release the worker');
  laneCalls()[1].finish();
  await tick(5);
  assert.equal(main.calls.length, 2);
  assert.equal(main.calls[1].text, 'input x = 4\ny = x * x\n', 'only the latest text');
  main.calls[1].finish();
  await tick(5);
  assert.deepEqual(published, ['3:values', '3:done']);
  assert.deepEqual(Array.from(analyses.get('file:///a.grad')?.analysis.nodes.find((n) => n.name === 'y')?.value ?? []), [16]);
  analyses.dispose();
});

test('a text that has to wait behind another task of the worker (a recheck, a landscape) gets its values from the lane', async () => {
  const { main, laneCalls, analyses, published } = withLane();
  analyses.opened(doc('input x = 1\ny = x * x\n', 1));
  await tick(5);
  main.calls[0].finish();
  await tick(5);
  (main.worker as unknown as { busy: boolean }).busy = true; // e.g. a recheck from the dashboard
  analyses.changed(doc('input x = 5\ny = x * x\n', 2));
  await tick(5);
  assert.equal(main.calls.length, 2, 'the run is queued in the worker');
  assert.equal(laneCalls().length, 1, 'and the lane runs it meanwhile');
  laneCalls()[0].finish();
  await tick(5);
  assert.deepEqual(published, ['1:done', '2:values']);
  main.calls[1].finish();
  await tick(5);
  assert.deepEqual(published, ['1:done', '2:values', '2:done']);
  analyses.dispose();
});

test('the checks of a text whose values the lane showed start a moment later; a keystroke meanwhile replaces the text', async () => {
  const { main, laneCalls, analyses, published } = withLane(60);
  analyses.opened(doc('input x = 1\ny = x * x\n', 1));
  await tick(5);
  analyses.changed(doc('input x = 2\ny = x * x\n', 2));
  await tick(5);
  main.calls[0].finish(); // stopped; version 2 waits for the lane
  await tick(5);
  laneCalls()[0].finish();
  await tick(5);
  assert.deepEqual(published, ['2:values']);
  assert.equal(main.calls.length, 1, 'the values are shown; the checks wait');
  analyses.changed(doc('input x = 3\ny = x * x\n', 3));
  await tick(5);
  laneCalls()[1].finish();
  await tick(30);
  assert.equal(main.calls.length, 1, 'the wait starts again with the newer values');
  await tick(80);
  assert.equal(main.calls.length, 2, 'then the checks start, of the latest text only');
  assert.equal(main.calls[1].text, 'input x = 3\ny = x * x\n');
  main.calls[1].finish();
  await tick(5);
  assert.deepEqual(published, ['2:values', '3:values', '3:done']);
  analyses.dispose();
});
