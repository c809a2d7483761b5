// Fault tolerance in the editor: a worker that is killed mid-analysis, hangs past its time limit
// or runs out of memory is replaced and the editor recovers with correct results; a burst of
// typing (100 edits per second for 10 s) ends with the results of the final text.
import * as assert from 'node:assert/strict';
import { suite, suiteSetup, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import { analyze } from '../../../src/core/analyze';
import { limitText, NUMBER_SETTINGS } from '../../../src/core/defaults';
import { laneElements } from '../../../src/server/analysis/valuesLane';
import { profileTo } from './cpuProfile';
import { activateExtension, closeAllEditors, codeOf, openExample, sleep, waitFor, waitForDiagnostics, type GradLensApi } from './helpers';

interface Stats {
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
  editToResultMedianMs: number | null;
  workerRestarts: number;
  workerRestartsSinceReset: number;
  gcMaxPauseMs: number;
  mainThreadCpuMs: number | null;
}

let untitledFiles = 0;

/**
 * A new unsaved .grad file with `content`, under a name of its own: `openTextDocument({ content })`
 * would reuse `Untitled-1` for every test, and a previous test's file of that name, closed in its
 * teardown while its re-runs are still going on, could then be mistaken for this one.
 */
async function untitled(content: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: 'untitled', path: `resilience-${++untitledFiles}.grad` }));
  const editor = await vscode.window.showTextDocument(doc);
  assert.ok(await editor.edit((e) => e.insert(new vscode.Position(0, 0), content)), 'the content is in the file');
  assert.equal(doc.languageId, 'grad');
  return editor;
}

/** The element limit of the editor's first worker: the values lane may hold a quarter beside it (issue 15). */
const firstWorkerLimit = (limit: number) => limit - laneElements(limit);

const rootValue = (a: { nodes: { name: string; value: ArrayLike<number> | null }[]; root: string | null }) => a.nodes.find((n) => n.name === a.root)?.value?.[0];

suite('resilience', () => {
  let api: GradLensApi;

  suiteSetup(async () => {
    api = await activateExtension();
  });

  teardown(async () => {
    const cfg = vscode.workspace.getConfiguration('gradlens');
    await cfg.update('worker.timeoutSeconds', undefined, vscode.ConfigurationTarget.Global);
    await cfg.update('worker.memoryLimitMb', undefined, vscode.ConfigurationTarget.Global);
    await cfg.update('maxElements', undefined, vscode.ConfigurationTarget.Global);
    await closeAllEditors();
  });

  test('a resource limit set above its maximum, even in the user settings, is clamped to the maximum', async () => {
    await vscode.workspace.getConfiguration('gradlens').update('maxElements', 1e12, vscode.ConfigurationTarget.Global);
    // 20000 × 20000 = 4e8 elements: under the 1e12 asked for, over the maximum.
    const big = await untitled('dims N = 20000\ninput X: [N, N]\nloss = sum(X)\n');
    const d = await waitForDiagnostics(big.document.uri, 'too-large at the maximum', (l) => l.some((x) => codeOf(x) === 'too-large'));
    assert.match(d.find((x) => codeOf(x) === 'too-large')?.message ?? '', new RegExp(`over the limit of ${limitText(firstWorkerLimit(NUMBER_SETTINGS.maxElements.maximum))}`));
  });

  test('killing the worker mid-analysis: the editor recovers with correct results', async () => {
    const editor = await untitled('dims N = 300\ninput X: [N, N]\nparam W: [N, N] ~ xavier\nloss = sum(tanh(X @ W) @ X)\n');
    const before = (await api.stats()).workerRestarts;
    const pending = api.service.analyzeNow(editor.document).catch(() => undefined);
    await sleep(20); // the worker is busy with the analysis now
    await api.service.killWorker();
    await editor.edit((e) => e.insert(new vscode.Position(4, 0), 'expect value loss == 12345\n'));
    const diags = await waitForDiagnostics(editor.document.uri, 'the expect-failed of the edited text', (l) => l.some((d) => codeOf(d) === 'expect-failed'));
    const msg = diags.find((d) => codeOf(d) === 'expect-failed')?.message ?? '';
    const truth = analyze(editor.document.getText(), { gradcheck: false });
    assert.ok(msg.includes(String(rootValue(truth))), `the reported value is the right one: ${msg} vs ${rootValue(truth)}`);
    // Those values may come from the values lane before the killed thread has ended (its end, and
    // so the restart, is asynchronous): wait for the restart, then for the new worker's finished
    // analysis of the edited text, checks included.
    await waitFor('the killed worker to be replaced', () => api.stats().then((x) => x.workerRestarts), (n) => n > before);
    const finished = await api.service.analyzeNow(editor.document);
    assert.equal(finished.version, editor.document.version);
    assert.equal(finished.analysis.phase, undefined, 'the finished analysis, not an early phase');
    assert.equal(rootValue(finished.analysis), rootValue(truth));
    void pending;
  });

  test('a worker that hangs past its time limit is stopped and replaced', async () => {
    await vscode.workspace.getConfiguration('gradlens').update('worker.timeoutSeconds', 1, vscode.ConfigurationTarget.Global);
    const before = (await api.stats()).workerRestarts;
    // Expensive but within the resource limits: many convolution layers on large images.
    const slow = await untitled('dims N = 8, S = 128\ninput x: [N, 8, S, S]\nparam w: [8, 8, 5, 5] ~ he\nparam b: [8] = 0\nloss = sum(conv2d(conv2d(conv2d(x, w, b, pad=2), w, b, pad=2), w, b, pad=2))\n');
    await api.service.analyzeNow(slow.document).catch(() => undefined);
    await waitFor('the hung worker to be replaced', () => api.stats().then((x) => x.workerRestarts), (n) => n > before, { timeoutMs: 60_000 });
    await vscode.workspace.getConfiguration('gradlens').update('worker.timeoutSeconds', undefined, vscode.ConfigurationTarget.Global);
    const ok = await untitled('input x = 3\ny = x * x\nexpect grad x == 7\n');
    const d = await waitForDiagnostics(ok.document.uri, 'expect-failed from the new worker', (l) => l.some((x) => codeOf(x) === 'expect-failed'));
    assert.match(d.find((x) => codeOf(x) === 'expect-failed')?.message ?? '', /found 6/);
  });

  test('a file too big for the worker\'s memory is refused with too-large, and the worker lives on', async () => {
    // Issue 15: tensors are typed arrays outside V8's heap limit, so the element budget is also
    // held to gradlens.worker.memoryLimitMb; a 4000×4000 pair (256 MB) no longer crashes a 64 MB
    // worker but is planned, refused and reported. (A killed worker's restart: the smoke suite.)
    await vscode.workspace.getConfiguration('gradlens').update('worker.memoryLimitMb', 64, vscode.ConfigurationTarget.Global);
    await api.service.killWorker(); // the next worker starts with the new limit
    // Let that restart happen and be counted before counting.
    const warm = await untitled('input x = 1\ny = x * 2\n');
    await api.service.analyzeNow(warm.document).catch(() => undefined);
    const before = (await api.stats()).workerRestarts;
    const big = await untitled('dims N = 4000\ninput X: [N, N]\nparam W: [N, N]\nloss = sum(X * W)\n');
    const tooLarge = await waitForDiagnostics(big.document.uri, 'too-large within the worker memory', (l) => l.some((x) => codeOf(x) === 'too-large'), { timeoutMs: 60_000 });
    // The limit is the worker's 64 MB in float64s, below gradlens.maxElements.
    assert.ok((tooLarge.find((x) => codeOf(x) === 'too-large')?.message ?? '').includes(`over the limit of ${limitText(firstWorkerLimit((64 * 2 ** 20) / 8))}`));
    assert.equal((await api.stats()).workerRestarts, before, 'the worker did not run out of memory');
    await vscode.workspace.getConfiguration('gradlens').update('worker.memoryLimitMb', undefined, vscode.ConfigurationTarget.Global);
    await api.service.killWorker();
    const ok = await untitled('input x = 2\ny = x * 5\nexpect value y == 11\n');
    const d = await waitForDiagnostics(ok.document.uri, 'results again', (l) => l.some((x) => codeOf(x) === 'expect-failed'));
    assert.match(d.find((x) => codeOf(x) === 'expect-failed')?.message ?? '', /found 10/);
  });

  test('a newer text stops the running analysis of a stale one mid-way', async () => {
    // 50 affine+relu layers with the largest check budget: the param checks take seconds.
    const lines = ['dims N = 32, D = 64', 'input X: [N, D]', 'input y: int[N] in 0..D'];
    for (let l = 1; l <= 50; l++) lines.push(`param W${l}: [D, D] ~ he`, `param b${l}: [D] = 0`, `h${l} = relu(${l === 1 ? 'X' : `h${l - 1}`} @ W${l} + b${l})`);
    lines.push('loss = softmax_ce(h50, y)');
    await vscode.workspace.getConfiguration('gradlens').update('gradientCheck.maxFlops', NUMBER_SETTINGS['gradientCheck.maxFlops'].maximum, vscode.ConfigurationTarget.Global);
    try {
      const editor = await untitled(lines.join('\n') + '\n');
      const before = (await api.stats()).cancelledRuns;
      void api.service.analyzeNow(editor.document).catch(() => undefined);
      await sleep(500); // in the middle of the checks now
      const doc = editor.document;
      await editor.edit((e) => e.replace(new vscode.Range(0, 0, doc.lineCount, 0), 'input x = 3\ny = x * x\nexpect grad x == 7\n'));
      const d = await waitForDiagnostics(doc.uri, 'the result of the new text', (l) => l.some((x) => codeOf(x) === 'expect-failed'));
      assert.match(d.find((x) => codeOf(x) === 'expect-failed')?.message ?? '', /found 6/);
      // The new text's values may come from the values lane before the worker reports the stale
      // run's end (it may still be queued behind the re-analyses of other open files, and a
      // cancelled run is counted when it comes back): wait for that report, not for its checks.
      await waitFor('the stale run to come back cancelled', () => api.stats().then((x) => x.cancelledRuns), (n) => n > before, { timeoutMs: 30_000 });
    } finally {
      await vscode.workspace.getConfiguration('gradlens').update('gradientCheck.maxFlops', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('a long loss landscape in the worker stops when cancelled', async () => {
    const editor = await openExample('two-layer-net.grad');
    // 601 × 601 losses: seconds of work, cancelled after 300 ms (a $/cancelRequest to the server).
    const task = api.service.landscape(editor.document, 601, 1, () => undefined);
    await sleep(300);
    task.cancel();
    assert.equal(await task.promise, 'cancelled');
  });

  test('100 edits per second for 10 s: the final results match the final text, the main thread stays free', async () => {
    const text = (await vscode.workspace.fs.readFile(vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'two-layer-net.grad'))).toString();
    // GRADLENS_BURST_CONTROL: the same burst on the same text as plain text, which GradLens does
    // not analyse — VS Code's own floor for the figures (its host's work and garbage per edit).
    const control = process.env.GRADLENS_BURST_CONTROL !== undefined;
    const editor = control ? await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ language: 'plaintext', content: text })) : await untitled(text);
    if (!control) await api.service.analyzeNow(editor.document);
    await vscode.commands.executeCommand('gradlens._stats', true);
    const stopProfile = await profileTo(process.env.GRADLENS_BURST_PROFILE, process.env.GRADLENS_BURST_CALLS, process.env.GRADLENS_BURST_HEAP);
    const line = editor.document.lineCount - 1;
    const started = Date.now();
    let k = 0;
    while (Date.now() - started < 10_000) {
      // type and erase a comment, then finally change the seed
      const ch = k % 2 === 0 ? '#' : '';
      if (ch) await editor.edit((e) => e.insert(new vscode.Position(line, 0), ch), { undoStopBefore: false, undoStopAfter: false });
      else await editor.edit((e) => e.delete(new vscode.Range(line, 0, line, 1)), { undoStopBefore: false, undoStopAfter: false });
      k++;
      await sleep(10);
    }
    await stopProfile();
    if (control) {
      const stats = await vscode.commands.executeCommand<Stats>('gradlens._stats');
      const out = vscode.Uri.joinPath(vscode.Uri.file(process.env.GRADLENS_RESULTS_DIR ?? '/tmp'), 'editor-stats-control.json');
      await vscode.workspace.fs.writeFile(out, new TextEncoder().encode(JSON.stringify({ edits: k, seconds: 10, ...stats }, null, 2)));
      const lines = text.split(/\r?\n/);
      if (k % 2 === 1) lines[line] = `#${lines[line]}`;
      assert.equal(editor.document.getText().split(/\r?\n/).join('\n'), lines.join('\n'));
      assert.ok(k > 50, `only ${k} edits went through in 10 s`);
      return;
    }
    const seedLine = [...Array(editor.document.lineCount).keys()].find((i) => editor.document.lineAt(i).text.startsWith('seed '));
    assert.ok(seedLine !== undefined);
    await editor.edit((e) => e.replace(editor.document.lineAt(seedLine).range, 'seed 17'));
    const truth = analyze(editor.document.getText(), { gradcheck: false });
    await waitFor(
      'the analysis of the final text',
      () => api.service.analyzeNow(editor.document),
      (r) => r.version === editor.document.version && rootValue(r.analysis as never) === rootValue(truth),
      {},
      (r) => `v${r.version} root ${rootValue(r.analysis as never)}`,
    );
    const stats = await vscode.commands.executeCommand<Stats>('gradlens._stats');
    // The figures go to the test results (speed goals live in the benchmarks, not in assertions);
    // a profiled burst's figures include the profiler's cost and go elsewhere, apart from the bench's.
    const profiled = process.env.GRADLENS_BURST_PROFILE !== undefined || process.env.GRADLENS_BURST_CALLS !== undefined || process.env.GRADLENS_BURST_HEAP !== undefined;
    const out = vscode.Uri.joinPath(vscode.Uri.file(process.env.GRADLENS_RESULTS_DIR ?? '/tmp'), profiled ? 'editor-stats-profiled.json' : 'editor-stats.json');
    await vscode.workspace.fs.writeFile(out, new TextEncoder().encode(JSON.stringify({ edits: k, seconds: 10, ...stats }, null, 2)));
    // A floor that says the burst happened, not a speed goal (the figures above go to the bench):
    // on a loaded two-core machine the same code passes anywhere from ~200 to ~600 edits.
    assert.ok(k > 50, `only ${k} edits went through in 10 s`);
  });
});
