// The palette commands, run as a user would through vscode.commands (with arguments in place of
// the input boxes): run, check, re-seed, set dimension sizes, new from example, dashboard, export.
import * as assert from 'node:assert/strict';
import { suite, suiteSetup, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import { activateExtension, closeAllEditors, openExample, waitFor, type GradLensApi } from './helpers';

interface AnalysisLike {
  root: string | null;
  seed: number;
  dims: Record<string, number>;
  nodes: { name: string; shape: number[]; value: number[] | null }[];
  gradchecks: { target: string; verdict: string }[];
}

suite('commands', () => {
  let api: GradLensApi;

  suiteSetup(async () => {
    api = await activateExtension();
  });

  teardown(closeAllEditors);

  test('every contributed command is registered', async () => {
    const all = new Set(await vscode.commands.getCommands(true));
    const ext = vscode.extensions.getExtension('gradlens.gradlens');
    const contributed = (ext?.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    for (const c of contributed) assert.ok(all.has(c), `${c} is contributed but not registered`);
  });

  test('Run Forward & Backward returns the analysis with the root value', async () => {
    const { document: doc } = await openExample('circuit.grad');
    const a = await vscode.commands.executeCommand<AnalysisLike>('gradlens.run', doc.uri);
    assert.equal(a.root, 'f');
    assert.deepEqual(a.nodes.find((n) => n.name === 'f')?.value, [-12]);
  });

  test('Check Gradients returns every check (gates and params)', async () => {
    const { document: doc } = await openExample('affine-gate.grad');
    const checks = await vscode.commands.executeCommand<AnalysisLike['gradchecks']>('gradlens.checkGradients', doc.uri);
    const targets = checks.map((c) => c.target);
    for (const t of ['affine.dX', 'affine.dW', 'affine.db', 'relu_layer.dx', 'W1', 'b1', 'W2', 'b2']) assert.ok(targets.includes(t), `${t} not checked: ${targets.join(', ')}`);
    assert.ok(checks.every((c) => c.verdict === 'pass' || c.verdict === 'ok-if-kinked'));
  });

  test('Re-seed and Set Dimension Sizes change the run, not the file', async () => {
    const { document: doc } = await openExample('two-layer-net.grad');
    const before = (await api.service.analyzeNow(doc)).analysis as unknown as AnalysisLike;
    const reseeded = (await vscode.commands.executeCommand<{ analysis: AnalysisLike }>('gradlens.reseed', doc.uri, 1234)).analysis;
    assert.equal(reseeded.seed, 1234);
    assert.notDeepEqual(reseeded.nodes.find((n) => n.name === 'W1')?.value, before.nodes.find((n) => n.name === 'W1')?.value);
    const resized = (await vscode.commands.executeCommand<{ analysis: AnalysisLike }>('gradlens.setDims', doc.uri, { N: 9 })).analysis;
    assert.equal(resized.dims.N, 9);
    assert.deepEqual(resized.nodes.find((n) => n.name === 'X')?.shape, [9, 10]);
    assert.equal(doc.isDirty, false, 'the file itself is unchanged');
    await vscode.commands.executeCommand('gradlens.setDims', doc.uri, {});
  });

  test('New Network from Example opens an untitled .grad document', async () => {
    const doc = await vscode.commands.executeCommand<vscode.TextDocument>('gradlens.newFromExample', 'sigmoid-neuron.grad');
    assert.equal(doc.languageId, 'grad');
    assert.equal(doc.isUntitled, true);
    assert.match(doc.getText(), /param w: \[3\] = \[2, -3, -3\]/);
    const r = await api.service.analyzeNow(doc);
    assert.equal(r.analysis.diagnostics.filter((d) => d.severity === 'error').length, 0);
  });

  test('Open Dashboard opens the webview panel', async () => {
    const { document: doc } = await openExample('circuit.grad');
    await vscode.commands.executeCommand('gradlens.openDashboard', doc.uri);
    await waitFor(
      'a GradLens Dashboard tab',
      () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => t.label),
      (labels) => labels.includes('GradLens Dashboard'),
      {},
      (l) => l.join(', '),
    );
  });

  test('Export to PyTorch writes the script where asked', async () => {
    const { document: doc } = await openExample('affine-gate.grad');
    const target = vscode.Uri.joinPath(doc.uri, '..', 'affine_exported_torch.py');
    const written = await vscode.commands.executeCommand<vscode.Uri[]>('gradlens.exportTorch', doc.uri, target);
    assert.ok(written?.some((u) => u.toString() === target.toString()));
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(target));
    assert.match(text, /class Affine\w*\(torch\.autograd\.Function\)|torch\.autograd\.Function/);
    assert.match(text, /gradcheck/);
    await vscode.workspace.fs.delete(target);
  });
});
